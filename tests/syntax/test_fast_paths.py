"""The fast paths of the syntax layer agree with their slow references.

Each speed-up keeps a reference implementation (the token-at-a-time lexer, the
Lark grammar, per-chunk scanning, plain `CallSite`s) and these tests compare
both on the samples and on randomly mutated text."""

from __future__ import annotations

import dataclasses
import pickle
import random
from pathlib import Path

import pytest

from sffi_lsp.model import CallSite, FunctionDecl, Span
from sffi_lsp.syntax import parse_source
from sffi_lsp.syntax.decl import DeclError, _fast_signature, _lark_signature
from sffi_lsp.syntax.lexer import mask, mask_slow
from sffi_lsp.syntax.positions import LazyCallSite, LazyFunctionDecl, fast_constructor
from sffi_lsp.syntax.chunks import split_chunks
from sffi_lsp.syntax.scanner import scan_chunk, scan_chunks
from sffi_lsp.syntax.source import Source, _decl_end

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "spl"
LEX_PIECES = ['"', "'", "#", "#[", "/*", "*/", "/", "*", "r", "\\", "\n", "a", " ", "{", "}", '"""', "///",
              "'''", "x(", "r\"", "\ufeff", "_", "{x}", "\\n"]


def _samples() -> list[str]:
    return [p.read_text() for p in sorted(SAMPLES.glob("*.spl"))]


def _mutate(rng: random.Random, text: str, pieces: list[str], edits: int) -> str:
    for _ in range(edits):
        pos = rng.randrange(len(text) + 1)
        if rng.random() < 0.6:
            text = text[:pos] + rng.choice(pieces) + text[pos:]
        else:
            text = text[:pos] + text[pos + rng.randint(1, 20):]
    return text


def test_whole_file_masking_equals_the_reference_lexer():
    rng = random.Random(11)
    cases = _samples()
    cases += ["".join(rng.choice(LEX_PIECES) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    cases += [_mutate(rng, rng.choice(_samples()), LEX_PIECES, 4) for _ in range(200)]
    for text in cases:
        assert mask(text) == mask_slow(text), repr(text)


@pytest.mark.parametrize("text", [
    'x = r"a\\"',          # a raw string has no escapes: its extent differs from "..."
    'f(r"\\d+")',
    'bar"x"',              # `r` ending a name is not a raw-string prefix
    "/* a /* nested */ still comment */ f(1)",
    "/* never closed\nf(1)",
    'r"""raw triple""" g()',
])
def test_masking_special_cases_take_the_reference_path(text):
    assert mask(text) == mask_slow(text)


FAST_SHAPES = [
    "extern fn rt_a(\n    x: i64,\n    y: [text],\n) -> (text, i64)",
    "extern fn rt_b(first: i64,\n    second: i64) -> i64",
    "pub extern fn rt_c<T>(value: T) -> bool",
    "extern fn rt_d<K, V>(k: K, v: V)",
    "extern fn rt_e(\n)",
    "extern fn rt_f(a: i64,)",
]


def _decl_texts() -> list[str]:
    out = list(FAST_SHAPES)
    for text in _samples():
        src = Source.of(text)
        pos = src.masked.find("extern fn")
        while pos >= 0:
            end, _ = _decl_end(src.masked, pos, 0, len(src.masked), True)
            out.append(src.masked[pos:end].rstrip())
            pos = src.masked.find("extern fn", pos + 1)
    return out


def test_signature_fast_path_agrees_with_lark():
    rng = random.Random(3)
    pieces = [",", "\n", " ", "<T>", "<T, U>", "<fn>", "\t", ":", "(", ")", "->", "?", "[", "]",
              "\r", "\f", "\v", "x", "fn", "<", ">", ",\n", "\ufeff"]
    base = _decl_texts()
    texts = base + [_mutate(rng, rng.choice(base), pieces, rng.randint(1, 3)) for _ in range(3000)]
    fast = 0
    for text in texts:
        sig = _fast_signature(text)
        if sig is None:
            continue
        fast += 1
        try:
            ref = _lark_signature(text)
        except DeclError as exc:
            ref = exc
        assert sig == ref, repr(text)
    assert all(_fast_signature(t) is not None for t in FAST_SHAPES)
    assert fast > len(base)  # the comparison really exercised the fast path


def test_whole_range_scan_equals_per_chunk_scans():
    rng = random.Random(8)
    texts = _samples() + [_mutate(rng, "\n".join(_samples()), LEX_PIECES + ["fn f():\n", "@when(a):\n", "@end\n"], 6)
                          for _ in range(40)]
    fields = ["externs", "extern_blocks", "extern_types", "calls", "functions", "uses", "suppressions",
              "directives"]
    for text in texts:
        src = Source.of(text)
        chunks = split_chunks(src)
        whole = scan_chunks(src, chunks)
        parts = [scan_chunk(src, c) for c in chunks]
        for f in fields:
            assert getattr(whole, f) == [x for p in parts for x in getattr(p, f)], f
        assert whole.problems[:100] == [x for p in parts for x in p.problems][:100]


def test_doc_comment_on_the_first_line_attaches():
    model = parse_source("## Monotonic clock.\nextern fn rt_clock_now() -> i64\n")
    assert model.externs[0].doc == "Monotonic clock."
    model = parse_source("# header\n\nextern fn rt_clock_now() -> i64\n")
    assert model.externs[0].doc is None  # a blank line separates it


def test_lazy_call_sites_behave_like_call_sites():
    model = parse_source("fn f():\n    g(1,\n      2)\n    h()\n")
    g, h = model.calls
    assert isinstance(g, LazyCallSite)
    assert g.span == Span(12, 13, 1, 4, 1, 5)
    assert g.args_span == Span(13, 25, 1, 5, 2, 8)
    assert (g.name, g.arg_count, g.enclosing_fn, g.qualified) == ("g", 2, "f", False)
    plain = CallSite(g.name, g.span, g.arg_count, g.enclosing_fn, g.qualified, g.args_span)
    assert g == plain and plain == g and hash(g) == hash(plain) and repr(g) == repr(plain)
    assert g != h
    back = pickle.loads(pickle.dumps(g))
    assert type(back) is CallSite and back == g
    renamed = dataclasses.replace(g, name="k")
    assert renamed.name == "k" and renamed.span == g.span


def test_lazy_functions_behave_like_functions():
    model = parse_source("class A:\n    fn run():\n        pass\n")
    (f,) = model.functions
    assert isinstance(f, LazyFunctionDecl)
    plain = FunctionDecl("run", Span(16, 19, 1, 7, 1, 10), "A")
    assert f == plain and plain == f and hash(f) == hash(plain) and repr(f) == repr(plain)
    assert type(pickle.loads(pickle.dumps(f))) is FunctionDecl
    assert dataclasses.replace(f, enclosing=None).name_span == plain.name_span


def test_process_pickling_is_compact_and_exact():
    from multiprocessing.reduction import ForkingPickler

    from sffi_lsp.syntax.positions import register_process_pickling

    register_process_pickling()
    text = "\n".join(_samples())
    model = parse_source(text, "x.spl")
    data = bytes(ForkingPickler.dumps(model))
    back = pickle.loads(data)
    for f in ["externs", "calls", "functions", "uses", "suppressions", "problems"]:
        assert getattr(back, f) == getattr(model, f), f
    assert len(data) < len(pickle.dumps(model))


def test_fast_constructor_makes_equal_objects():
    make = fast_constructor(Span)
    assert make(1, 2, 3, 4, 5, 6) == Span(1, 2, 3, 4, 5, 6)
    assert type(make(1, 2, 3, 4, 5, 6)) is Span


def test_spliced_line_index_equals_a_fresh_one():
    from sffi_lsp.syntax.incremental import _common_prefix, _common_suffix
    from sffi_lsp.syntax.positions import LineIndex

    rng = random.Random(4)
    for _ in range(3000):
        a = "".join(rng.choice("ab\n") for _ in range(rng.randint(0, 30)))
        pos = rng.randrange(len(a) + 1)
        b = a[:pos] + "".join(rng.choice("x\n") for _ in range(rng.randint(0, 4))) + a[pos + rng.randint(0, 4):]
        if a == b:
            continue
        p = _common_prefix(a, b)
        q = _common_suffix(a, b, min(len(a), len(b)) - p)
        assert LineIndex.spliced(LineIndex(a), b, p, q, len(b) - len(a)).starts == LineIndex(b).starts


def _bench_samples() -> list[Path]:
    bench = Path(__file__).resolve().parents[2] / "bench" / "sample_tree"
    return sorted(SAMPLES.glob("*.spl")) + sorted(bench.rglob("*.spl"))


def test_compact_line_table_places_lazy_items_as_the_scan_did() -> None:
    """A whole-file model keeps its line table as a 4-byte array: every lazy call's and
    function's spans equal those built from the scan's own line list (plain spans from
    `Source.index`), and the names are interned (one string per name)."""
    import sys
    from array import array

    seen = 0
    for path in _bench_samples():
        text = path.read_text(encoding="utf-8")
        model = parse_source(text, str(path))
        index = Source.of(text).index
        for c in model.calls:
            assert isinstance(c, LazyCallSite)
            assert isinstance(c._at[0].starts, array)
            s = c._at[1] + c._at[0].offset
            assert c.span == index.span(s, s + len(c.name)), (path, c.name)
            if c.args_span is not None:
                assert c.args_span == index.span(c.args_span.start, c.args_span.end)
            assert c.name is sys.intern(c.name)
            seen += 1
        for f in model.functions:
            assert f.name_span == index.span(f.name_span.start, f.name_span.end)
            assert text[f.name_span.start:f.name_span.end] == f.name
            assert f.name is sys.intern(f.name)
    assert seen > 100
