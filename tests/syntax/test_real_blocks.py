"""Shapes from real test/, examples/, scripts/ and src/app/ files (issue 2).

Our own samples, checked against the Simple compiler's lexer/parser
(compiler_rust/parser/src/lexer/{identifiers,strings,comments,mod}.rs and
parser_impl/functions.rs): custom blocks (`sh{...}`, `re{...}`, `md{...}`,
`sql{...}`, `m{...}`) whose payloads hold quotes, brackets and `#`; character
literals such as `'('` next to interpolated strings that mention calls; spec
files whose `it "..."` blocks each declare their own local extern; untyped,
`self`, `mut` and defaulted parameters (the compiler's parse_parameters)."""

from __future__ import annotations

from sffi_lsp.syntax import parse_source

CUSTOM_BLOCKS = """\
val pattern = re{^\\((\\d+}
extern fn rt_blk_after_re() -> i64
val script = sh{ echo "(" ; echo [ }
extern fn rt_blk_after_sh() -> i64
fn render():
    val doc = md{ see item 1) and 2] }
    extern fn rt_blk_local(n: i64) -> i64
    val grid = m{ [1, 2; 3, 4] }
    rt_blk_local(2)
val q = sql{ SELECT 'a' -- trailing
}
extern fn rt_blk_after_sql(s: text) -> bool
"""


def test_custom_block_payloads_do_not_hide_externs():
    model = parse_source(CUSTOM_BLOCKS, "blocks.spl")
    assert model.problems == []
    got = [(e.name, e.name_span.start_line, e.enclosing_fn) for e in model.externs]
    assert got == [("rt_blk_after_re", 1, None), ("rt_blk_after_sh", 3, None),
                   ("rt_blk_local", 6, "render"), ("rt_blk_after_sql", 11, None)]
    assert [e.returns.text for e in model.externs] == ["i64", "i64", "i64", "bool"]


SPEC = """\
use std.spec.{describe, it, expect}

describe "registry":
    it "declares its own extern":
        # "extern fn rt_in_comment() -> i64" is not a declaration
        extern fn rt_spec_probe(path: text) -> i64
        expect(rt_spec_probe("/tmp") >= 0).to_equal(true)

    it "declares it again":
        extern fn rt_spec_probe(path: text) -> i64
        val line = "extern fn rt_in_string(a: i64)"
        expect(line.contains("extern fn ")).to_equal(true)
        if line[0] == '(' or line[1] == '_':
            report.push("    {helper_name}(...)\\n")
"""


def test_spec_blocks_and_strings_that_mention_externs():
    model = parse_source(SPEC, "registry_spec.spl")
    assert model.problems == []
    assert [(e.name, e.name_span.start_line) for e in model.externs] == [
        ("rt_spec_probe", 5), ("rt_spec_probe", 9)]
    names = {c.name for c in model.calls}
    assert "rt_spec_probe" in names and "contains" in names
    # text inside strings and char literals is not a call
    assert not names & {"rt_in_comment", "rt_in_string", "helper_name"}


PARAMS = """\
extern fn rt_par_untyped(a, b) -> i64
extern fn rt_par_self(self, n: i64)
extern fn rt_par_mut(mut buf: [u8], n: i64 = 4) -> i64
extern fn rt_par_lines(
    a: i64
    b: text
) -> bool
"""


def test_parameter_forms_of_the_compiler():
    model = parse_source(PARAMS, "params.spl")
    assert model.problems == []
    got = {e.name: ([(p.name, p.type.text if p.type else None) for p in e.params],
                    e.returns.text if e.returns else None) for e in model.externs}
    assert got == {
        "rt_par_untyped": ([("a", None), ("b", None)], "i64"),
        "rt_par_self": ([("self", None), ("n", "i64")], None),
        "rt_par_mut": ([("buf", "[u8]"), ("n", "i64")], "i64"),
        "rt_par_lines": ([("a", "i64"), ("b", "text")], "bool"),
    }


WRAPPED_SPEC = """\
#![allow(empty_examples)]
fn main():
    \"\"\"Doc of the wrapped spec.\"\"\"
    describe "loader":
        context "twice":
            it "first":
                extern fn rt_wrapped_probe(a: i64) -> i64
                expect rt_wrapped_probe(1) == 1
            it "second":
                @when(os="linux")
                extern fn rt_wrapped_probe(a: i64) -> i64
                @end
                expect rt_wrapped_probe(2) == 2
        before_each:
            extern fn rt_wrapped_reset()
            rt_wrapped_reset()
    match os_name():
        case "linux":
            extern fn rt_wrapped_arm() -> i64
            rt_wrapped_arm()
    extern fn rt_wrapped_main_local() -> i64
"""


def test_externs_in_spec_blocks_inside_a_function_are_local_to_their_block():
    # a spec wrapped in `fn main():` (generated entry files): each `it` body is
    # its own block, so the two declarations are not in one scope; a `case`
    # arm and the function body itself stay in the function's scope
    model = parse_source(WRAPPED_SPEC, "wrapped_spec.spl")
    assert model.problems == []
    got = [(e.name, e.name_span.start_line, e.enclosing_fn) for e in model.externs]
    assert got == [("rt_wrapped_probe", 6, None), ("rt_wrapped_probe", 10, None),
                   ("rt_wrapped_reset", 14, None), ("rt_wrapped_arm", 18, "main"),
                   ("rt_wrapped_main_local", 20, "main")]


LITERALS = """\
val greeting = Hello_"extern fn rt_lit_hidden_one() -> i64"
val addr = "127.0.0.1"_ip
val raw = 'it''s'
extern fn rt_lit_one(a: i64) -> i64
val doc = Doc_\"\"\"
extern fn rt_lit_hidden_two() -> i64
\"\"\"
extern fn rt_lit_two() -> i64
val sym = :ok
val atom = `ready`
extern fn rt_lit_three(x: i64) -> i64
"""


def test_i18n_typed_and_symbol_literals():
    # Name_"..." (i18n), "..."_ip (unit suffix), ':ok' and `atom` literals of
    # the compiler's lexer hide nothing and invent nothing
    model = parse_source(LITERALS, "literals.spl")
    assert model.problems == []
    assert [(e.name, e.name_span.start_line) for e in model.externs] == [
        ("rt_lit_one", 3), ("rt_lit_two", 7), ("rt_lit_three", 10)]
