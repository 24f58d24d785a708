"""Malformed externs: one problem each, the rest still read; parity of the two readers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sffi_lsp.syntax import parse_file, parse_source, read_text
from sffi_lsp.syntax.decl import DeclError, _lark_signature, grammar_path, parse_signature


def test_malformed_reports_once_each_and_keeps_reading(samples: Path):
    sf = parse_file(samples / "malformed.spl")
    assert [e.name for e in sf.externs] == ["rt_good_before", "rt_good_after"]
    assert [p.span.start_line for p in sf.problems] == [2, 4, 6, 8]
    assert all(p.message.startswith("malformed extern declaration") for p in sf.problems)
    assert "`fun`" in sf.problems[2].message
    # the function after the unclosed declaration is still read
    assert ("after_unclosed", None) in {(f.name, f.enclosing) for f in sf.functions}


@pytest.mark.parametrize("name", ["forms.spl", "tricky.spl"])
def test_valid_code_has_no_problems(samples: Path, name: str):
    assert parse_file(samples / name).problems == []


def test_malformed_block():
    sf = parse_source('extern class:\n    fn x()\nextern fn ok() -> i64\n')
    assert len(sf.problems) == 1 and [e.name for e in sf.externs] == ["ok"]


def test_extern_as_plain_word_is_not_a_problem():
    sf = parse_source("val extern_count = 3\nextern = 4\nprint(extern)\n")
    assert sf.problems == [] and sf.externs == []


# --- the fast path and Lark must agree ------------------------------------

_TYPES = ["i64", "text", "[u8]", "[text]?", "text?", "pkg.Handle", "(text, i64)", "()", "void",
          "(text,i64)", "[pkg.T]", "bool"]


def _variants(rng: random.Random, n: int) -> list[str]:
    out = []
    for i in range(n):
        params = ", ".join(f"p{k}: {rng.choice(_TYPES[:-3] + ['bool'])}" for k in range(rng.randint(0, 4)))
        ret = rng.choice(_TYPES + [None])
        pub = "pub " if rng.random() < 0.2 else ""
        out.append(f"{pub}extern fn rt_v{i}({params})" + (f" -> {ret}" if ret else ""))
    return out


def test_fast_path_equals_lark():
    texts = _variants(random.Random(11), 300)
    for s in (Path(__file__).resolve().parents[1] / "samples" / "spl").glob("*.spl"):
        sf = parse_source(read_text(s))
        for e in sf.externs:
            if e.block is None:
                texts.append(" ".join(e.signature_text().split()))
    fast_hits = 0
    for t in texts:
        fast = parse_signature(t)
        slow = _lark_signature(t)
        assert fast == slow, t
        from sffi_lsp.syntax.decl import _fast_signature

        fast_hits += _fast_signature(t) is not None
    assert fast_hits > len(texts) // 2  # the fast path is really used


def test_decl_error_has_position():
    with pytest.raises(DeclError) as exc:
        parse_signature("extern fn f(a: i64 -> i64")
    assert exc.value.rel_start > 0


def test_grammar_is_found():
    assert grammar_path().name == "simple.lark"


def test_grammar_cache_failure_is_tolerated(tmp_path, monkeypatch):
    import sffi_lsp.syntax.decl as decl

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(decl, "_PARSER", None)
    import tempfile

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(blocker))
    assert decl.lark_parser().parse("extern fn f() -> i64") is not None


def test_grammar_cache_is_written(tmp_path, monkeypatch):
    import sffi_lsp.syntax.decl as decl

    import sffi_lsp.grammar_cache as grammar_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(decl, "_PARSER", None)
    monkeypatch.setattr(grammar_cache, "load_seed", lambda *a, **k: None)  # no installed seed
    decl.lark_parser()
    assert list((tmp_path / "sffi-lsp").glob("*.lark.cache"))


def test_memoised_declaration_error_keeps_no_frames():
    """A declaration being typed fails the same way on every keystroke; the
    memoised error must not collect the frames (and sources) of each raise."""
    from sffi_lsp.syntax.decl import parse_signature

    depths = []
    for _ in range(5):
        try:
            parse_signature("extern fn rt_typing(a: i64,, -> ")
        except DeclError as exc:
            tb, n = exc.__traceback__, 0
            while tb is not None:
                n, tb = n + 1, tb.tb_next
            depths.append(n)
    assert len(depths) == 5 and depths[-1] == depths[1], depths


@pytest.mark.parametrize("text", ["extern fn ", "extern fn", "extern fn _ZN2at", "pub extern fn rt_ope  ",
                                  "extern async fn rt_x", "  extern fn\\t"])
def test_declaration_being_typed_fails_as_lark_would(text):
    """The shortcut for a declaration whose name is being typed gives Lark's own error."""
    from sffi_lsp.syntax.decl import _lark_signature, parse_signature

    text = text.replace("\\t", "\t")
    with pytest.raises(DeclError) as fast:
        parse_signature(text)
    with pytest.raises(DeclError) as slow:
        _lark_signature(text)
    assert (fast.value.message, fast.value.rel_start, fast.value.rel_end) == (
        slow.value.message, slow.value.rel_start, slow.value.rel_end)
