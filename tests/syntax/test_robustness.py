"""Any input gives a model and a bounded number of problems, never an exception or a hang."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sffi_lsp.syntax import parse_file, parse_source
from sffi_lsp.syntax.source import MAX_PROBLEMS

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "spl"
SAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.spl"))]
TOKENS = ["extern", " fn ", "(", ")", "[", "]", "{", "}", '"', "'", '"""', "#", "/*", "*/",
          "\n", "\t", "    ", ":", "->", ",", "@when(os=\"x\"):\n", "@end\n", "@else:\n",
          "extern class K:\n", 'extern "C":\n', "\r\n", "\ufeff", "\\", "<", ">", "?", "\x00"]

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(text: str) -> None:
    sf = parse_source(text, "fuzz.spl")
    assert len(sf.problems) <= MAX_PROBLEMS
    for e in sf.externs:
        assert 0 <= e.span.start <= e.span.end <= len(text)
        assert text[e.name_span.start:e.name_span.end] == e.name
    for c in sf.calls:
        assert text[c.span.start:c.span.end] == c.name


@FAST
@given(st.text(max_size=400))
def test_random_text(text):
    _check(text)


@FAST
@given(st.binary(max_size=400))
def test_random_bytes(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("b") / "x.spl"
    p.write_bytes(data)
    sf = parse_file(p)
    assert len(sf.problems) <= MAX_PROBLEMS


@FAST
@given(
    st.sampled_from(SAMPLE_TEXTS),
    st.lists(st.tuples(st.floats(0, 1), st.sampled_from(TOKENS), st.integers(0, 12)), max_size=8),
)
def test_mutated_samples(text, edits):
    for frac, token, cut in edits:
        pos = int(frac * len(text))
        text = text[:pos] + token + text[pos + cut:]
    _check(text)


@FAST
@given(st.sampled_from(SAMPLE_TEXTS), st.floats(0, 1))
def test_truncated_samples(text, frac):
    _check(text[: int(len(text) * frac)])


def test_crlf_bom_tabs_give_the_same_externs(tmp_path):
    text = SAMPLE_TEXTS[0]
    plain = [(e.name, e.span.start_line) for e in parse_source(text).externs]
    p = tmp_path / "crlf.spl"
    p.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert [(e.name, e.span.start_line) for e in parse_file(p).externs] == plain
    # CRLF text straight from an editor buffer
    assert [(e.name, e.span.start_line) for e in parse_source(text.replace("\n", "\r\n")).externs] == plain
    tabbed = parse_source(text.replace("    ", "\t"))
    assert {e.name for e in tabbed.externs} == {n for n, _ in plain}


def test_unreadable_inputs(tmp_path):
    assert parse_file(tmp_path / "missing.spl").problems
    assert parse_file(tmp_path).problems  # a directory
    p = tmp_path / "bad.spl"
    p.write_bytes(b"extern fn rt_ok() -> i64\n\xff\xfe\x80 junk\n")
    sf = parse_file(p)
    assert [e.name for e in sf.externs] == ["rt_ok"]


def test_pathological_inputs_are_fast():
    cases = [
        "(" * 100_000,
        "extern fn f(" + "a: i64, " * 20_000,
        '"' * 50_001,
        "/*" * 30_000,
        "x" * 300_000 + "(\n",
        "extern fn " + "g" * 200_000 + "()",
        "    " * 50_000 + "extern fn deep() -> i64\n",
        "@when(" * 10_000,
        "#" * 100_000,
        "\n".join("    " * (i % 40) + "fn f%d():" % i for i in range(5000)),
    ]
    for text in cases:
        t0 = time.perf_counter()
        _check(text)
        assert time.perf_counter() - t0 < 5, text[:40]


def test_five_megabyte_file():
    text = (SAMPLE_TEXTS[0] + "\n") * (5_000_000 // len(SAMPLE_TEXTS[0]) + 1)
    t0 = time.perf_counter()
    sf = parse_source(text)
    elapsed = time.perf_counter() - t0
    assert len(sf.externs) > 1000 and sf.problems == []
    assert elapsed < 60
