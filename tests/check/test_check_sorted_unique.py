"""`check` orders findings and drops repeats without hashing them (engine._sorted_unique)."""

from __future__ import annotations

import random

from sffi_lsp.check.engine import _sorted_unique
from sffi_lsp.check.types import Finding, Fix, Related, Severity, TextEdit
from sffi_lsp.model import Span


def _finding(rnd: random.Random, i: int) -> Finding:
    line = rnd.randrange(5)
    span = Span(line * 10, line * 10 + 3, line, rnd.randrange(3), line, 5)
    path = f"/t/{rnd.choice('ab')}.spl"
    related = (Related(path, span, "note"),) if i % 3 == 0 else ()
    fixes = (Fix("fix", (TextEdit(path, span, ""),)),) if i % 5 == 0 else ()
    return Finding(f"SFFI00{rnd.randrange(1, 4)}", "rule", Severity.ERROR, path, span, f"m{rnd.randrange(3)}",
                   related=related, fixes=fixes)


def test_same_findings_and_order_as_sorting_a_set() -> None:
    rnd = random.Random(7)
    for _ in range(50):
        findings = [_finding(rnd, i) for i in range(rnd.randrange(0, 40))]
        findings += rnd.sample(findings, k=len(findings) // 3)  # repeats
        rnd.shuffle(findings)
        got = _sorted_unique(findings)
        want = sorted(set(findings), key=lambda f: (*f.sort_key(), f.message))
        assert len(got) == len(want) == len(set(findings))
        assert set(got) == set(want)
        key = lambda f: (*f.sort_key(), f.message)  # noqa: E731
        assert [key(f) for f in got] == [key(f) for f in want]


def test_unequal_findings_with_one_key_are_all_kept() -> None:
    span = Span(0, 1, 0, 0, 0, 1)
    a = Finding("SFFI001", "x", Severity.ERROR, "/p", span, "m")
    b = Finding("SFFI001", "x", Severity.ERROR, "/p", span, "m", related=(Related("/q", None, "r"),))
    assert _sorted_unique([a, b, a, b, a]) == [a, b]
