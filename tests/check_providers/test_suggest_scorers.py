""""Did you mean" without rapidfuzz (the pure-Python scorer gives the same suggestions, after one
notice), and a crowded family (thousands of names sharing the query's first characters)."""

from __future__ import annotations

import random
import sys

import pytest

from sffi_lsp.check.providers import suggest as S

from .test_providers import _random_vocabulary, _typo


def test_pure_python_scores_equal_rapidfuzz() -> None:
    from rapidfuzz import fuzz
    from rapidfuzz.distance import OSA

    rnd = random.Random(5)
    words = _random_vocabulary(rnd, 400) + ["", "a", "ab", "ba", "x" * 90, "y" * 70 + "x" * 3]
    for _ in range(3000):
        a, b = rnd.choice(words).lower(), rnd.choice(words).lower()
        if rnd.random() < 0.5:
            b = _typo(rnd, a).lower()
        assert S._py_ratio(a, b) == fuzz.ratio(a, b), (a, b)
        assert S._py_osa(a, b) == OSA.distance(a, b), (a, b)


def test_without_rapidfuzz_same_suggestions_and_one_notice(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    rnd = random.Random(11)
    names = [n for n in _random_vocabulary(rnd, 1500) if len(n) >= 4]
    queries = [_typo(rnd, rnd.choice(names)) for _ in range(60)] + ["RT_OPEN_FILE", "zzzzqqqq"]
    monkeypatch.setattr(S, "_SCORER", None)
    assert S.scorer().name == "rapidfuzz"
    fast_sg = S.Suggester(names)
    fast = [fast_sg.suggest(q) for q in queries]
    capsys.readouterr()
    for mod in [m for m in sys.modules if m == "rapidfuzz" or m.startswith("rapidfuzz.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "rapidfuzz", None)  # `import rapidfuzz` now raises ImportError
    monkeypatch.setattr(S, "_SCORER", None)
    slow_sg = S.Suggester(names)
    slow = [slow_sg.suggest(q) for q in queries]
    assert S.scorer().name == "python"
    assert sum(map(bool, slow)) > 50, "the fallback must suggest, not go silent"
    assert slow == fast
    err = capsys.readouterr().err
    assert err.count("rapidfuzz cannot be imported") == 1 and "pure-Python" in err
    S.Suggester(names).suggest(queries[0])
    assert "rapidfuzz" not in capsys.readouterr().err  # said once per process


def test_crowded_family_still_finds_every_single_slip() -> None:
    """7,000 names sharing their first 16 characters (libtorch's `mkl_spblas_lp64_...`): the family is
    narrowed to a longer shared prefix, never past what one slip leaves intact."""
    rnd = random.Random(3)
    parts = ["scsr", "dcsr", "ccoo", "zcsr", "dcoo", "sbsr"]
    names = sorted({f"mkl_spblas_lp64_{rnd.choice(parts)}{rnd.randint(0, 1)}{rnd.choice('nt')}"
                    f"{rnd.choice('luad')}{rnd.choice('nuf')}{rnd.choice('fc')}__{rnd.choice(['mm', 'mv', 'sm'])}"
                    f"out_{rnd.choice(['par', 'seq', 'omp'])}{rnd.randint(0, 99)}" for _ in range(9000)})
    assert len(names) > 3 * S.Suggester.FAMILY_BUDGET
    sg = S.Suggester(names)
    for n in rnd.sample(names, 150):
        q = _typo(rnd, n)
        if q == n or q in names:
            continue
        got = sg.suggest(q, limit=3)
        assert got, q
        best = S.suggest_reference(names, q, limit=1)
        # the name it was typed from is offered, or something the whole window ranks as near
        assert n in got or S.scorer().osa(q.lower(), got[0].lower()) <= S.scorer().osa(q.lower(), n.lower()), (q, got)
        assert S.scorer().osa(q.lower(), got[0].lower()) == S.scorer().osa(q.lower(), best[0].lower()), (q, got, best)
