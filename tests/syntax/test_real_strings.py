"""String forms found while comparing the reader with real Simple code (issue 2).

Settled by the compiler's lexer (compiler_rust/parser/src/lexer/strings.rs):
an interpolation `{expr}` may hold nested strings (`"{xs.join(", ")}"`), so
the outer string does not end at a nested quote; a nested quote opens a string
only where an operand is expected, otherwise the `{` was a literal brace."""

from __future__ import annotations

from pathlib import Path

import pytest

from sffi_lsp.syntax import parse_file, parse_source
from sffi_lsp.syntax.lexer import mask, mask_slow

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "spl"


def test_nested_strings_in_interpolations_keep_the_file_in_step():
    path = SAMPLES / "real_strings.spl"
    model = parse_file(str(path))
    assert model.problems == []
    assert [e.name for e in model.externs] == ["rt_cfg_lookup", "rt_cfg_keys", "rt_cfg_render",
                                               "rt_cfg_after_strings"]
    calls = {(c.name, c.arg_count) for c in model.calls}
    # calls inside interpolations with string arguments are seen, with their arity
    assert {("rt_cfg_lookup", 1), ("rt_cfg_keys", 0), ("rt_cfg_render", 2)} <= calls
    assert sum(1 for c in model.calls if c.name == "rt_cfg_keys") == 2  # also the one after the label
    assert sum(1 for c in model.calls if c.name == "rt_cfg_render") == 2  # also the one with ',' args
    text = path.read_text()
    assert mask(text) == mask_slow(text)
    masked = mask(text)[0]
    assert len(masked) == len(text)
    assert "HOME" not in masked and "/*" not in masked.split("fence")[1].split("\n")[0]


def test_literal_brace_before_a_closing_quote():
    # `"p { "`: the quote after `{ ` closes the string (nothing to be an operand of)
    model = parse_source('fn f():\n    g("p { " + h(1) + " }")\n')
    assert {(c.name, c.arg_count) for c in model.calls} >= {("g", 1), ("h", 1)}


def test_interpolation_rules_match_between_fast_and_reference_masks():
    for snippet in ['"{a.join(", ")}" + f(1)', '"{x ?? "d"}"', '"{if c: "y" else: "n"}"', '"{m["k"]}"',
                    '"{"x"}"', '"{{f("x")}}"', '"{a}\'{b(\'q\')}"', '"{t\'}"', '"{f(\n")}"\ng(2)',
                    '"{f("x")', '"{s.replace("\\"", "\'")}" + k(3)', 'r"{a("x")}"', '"{a + {b: "c"}}"']:
        got = mask(snippet)
        assert got == mask_slow(snippet), snippet
        assert len(got[0]) == len(snippet)
    assert {c.name for c in parse_source('x = "{a.join(", ")}" + f(1)\n').calls} >= {"f"}
    assert "k" in {c.name for c in parse_source('x = "{s.replace("a", "b")}" + k(3)\n').calls}
    # braces nested in an interpolation (a dict argument); `{{`/`}}` are literal braces
    calls = {(c.name, c.arg_count) for c in parse_source('x = "{f({1: 2, 3: 4})} {{g(5)}}"\n').calls}
    assert ("f", 1) in calls and "g" not in {name for name, _ in calls}


def test_loop_labels_are_not_strings():
    # `'outer` without a closing tick on its line is a label (compiler_rust lexer/mod.rs);
    # with a tick later on the line it is a raw string, as before
    for snippet, code in [("'outer: for x in f(1):  # \"q\"\n    break 'outer\n", "f(1)"),
                          ("g('a', h(2))\n", "h(2)"), ("'_tag k(3)\n", "k(3)")]:
        got = mask(snippet)
        assert got == mask_slow(snippet), snippet
        assert code in got[0], snippet
    assert mask("x = 'it s' + y('k')\n")[0] == "x = '    ' + y(' ')\n"
    assert "q" not in mask("'outer: for x in f(1):  # \"q\"\n")[0]


def test_backslash_newline_continues_a_string():
    # escapes.rs: a backslash escapes any character, a line break too
    text = ('fn f():\n    val m = "first part \\\nextern fn rt_fake(a: i64) {g(1)} \\\n" + h(2)\n'
            'extern fn rt_real(a: i64) -> i64\n')
    model = parse_source(text)
    assert [e.name for e in model.externs] == ["rt_real"]
    assert model.problems == []
    assert {c.name for c in model.calls} >= {"g", "h"}
    got = mask(text)
    assert got == mask_slow(text)
    assert [i for i, ch in enumerate(got[0]) if ch == "\n"] == [i for i, ch in enumerate(text) if ch == "\n"]
    # single-quoted (raw) strings do not continue
    assert [e.name for e in parse_source("x = 'a\\\nextern fn rt_q()\n").externs] == ["rt_q"]


@pytest.mark.timeout(60)
def test_long_lines_of_braces_stay_linear():
    # every `{` of `"{ { { ...` is a literal brace that would rescan its line,
    # and every string of `"{f("{f(...` would read the rest of it: the work is
    # bounded per file, so this takes about a second (was quadratic)
    for body in ["{ " * 100_000, "{(" * 100_000, '{"' * 50_000, '{f("' * 50_000]:
        text = 'x = "' + body + '"\nextern fn rt_after_long_line() -> i64\n'
        got = mask(text)
        assert got == mask_slow(text) and len(got[0]) == len(text)
        assert [e.name for e in parse_source(text).externs] == ["rt_after_long_line"]


def test_triple_quoted_f_strings_interpolate():
    # scan_triple_fstring: f"""...""" interpolates (calls in it are seen); """...""" does not
    text = ('fn page():\n    val html = f"""\n    <h1>{rt_page_title()}</h1>\n    {{literal}} """\n'
            '    val raw = """ {rt_not_called()} """\n')
    model = parse_source(text)
    assert {c.name for c in model.calls} == {"rt_page_title"}
    got = mask(text)
    assert got == mask_slow(text) and len(got[0]) == len(text)
    assert "literal" not in got[0]
