"""Baseline fingerprints: stable under line moves and machine paths, counted, validated."""

from __future__ import annotations

import json

import pytest

from sffi_lsp.check.baseline import BaselineError, filter_baselined, fingerprint, write_baseline
from sffi_lsp.check.types import Finding, Severity
from sffi_lsp.model import Span


def finding(path, line, message, code="SFFI002", symbol="rt_x"):
    return Finding(code, "library-not-loadable", Severity.ERROR, path, Span(0, 0, line, 4, line, 8), message, symbol=symbol)


def test_fingerprint_ignores_lines_and_machine_paths(tmp_path):
    base = str(tmp_path)
    a = finding(f"{base}/src/a.spl", 3, "library `/home/dev/b/libx.so` cannot be loaded (first at line 3, a.spl:3)")
    b = finding(f"{base}/src/a.spl", 40, "library `/ci/work/b/libx.so` cannot be loaded (first at line 9, a.spl:9)")
    assert fingerprint(a, base) == fingerprint(b, base)
    c = finding(f"{base}/src/a.spl", 3, "library `/home/dev/b/liby.so` cannot be loaded (first at line 3, a.spl:3)")
    assert fingerprint(a, base) != fingerprint(c, base)
    assert fingerprint(a, base) != fingerprint(finding(f"{base}/src/other.spl", 3, a.message), base)
    assert fingerprint(a, base) != fingerprint(finding(a.path, 3, a.message, code="SFFI001"), base)


def test_baseline_counts_occurrences(tmp_path):
    p = str(tmp_path / "baseline.json")
    same = [finding(str(tmp_path / "a.spl"), i, "dup") for i in range(2)]
    assert write_baseline(p, same) == 2
    kept, hidden = filter_baselined(same + [finding(str(tmp_path / "a.spl"), 9, "dup")], p)
    assert hidden == 2 and len(kept) == 1


@pytest.mark.parametrize("content", ["{not json", json.dumps({"version": 7, "findings": []}), "[]"])
def test_bad_baseline_file_is_a_clear_error(tmp_path, content):
    p = tmp_path / "b.json"
    p.write_text(content)
    with pytest.raises(BaselineError, match="b.json"):
        filter_baselined([], str(p))
