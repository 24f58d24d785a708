"""Forms found while comparing the reader with real Simple code (issue 2).

Each test uses our own sample (tests/samples/spl/real_forms.spl or an inline
snippet) that reproduces a construct the Simple compiler accepts: `extern
async fn`, `extern struct`, `///` doc lines and blocks, parameters separated by a bare
line break (with `mut` / `@inject`), `\\` line continuations, a trailing `;`, and the type
forms of the compiler's type parser (unions, capability prefixes, `*T`, weak
and handle pointers, sets, `(A) -> R`, `Name[T]`, `dyn T`, `Item=T`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sffi_lsp.model import TypeKind
from sffi_lsp.syntax import parse_file, parse_source
from sffi_lsp.syntax.decl import _comma_line_breaks, _fast_signature, _lark_signature
from sffi_lsp.syntax.lexer import mask, mask_slow

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "spl" / "real_forms.spl"


@pytest.fixture(scope="module")
def model():
    return parse_file(str(SAMPLE))


def _sig(e):
    return ([(p.name, p.type.kind, p.type.text) for p in e.params],
            None if e.returns is None else (e.returns.kind, e.returns.text))


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines()) if needle in line)


def test_no_problem_and_every_extern_once(model):
    text = SAMPLE.read_text()
    assert model.problems == []
    names = [e.name for e in model.externs]
    assert names == ["rt_doc_glob", "rt_net_fetch", "rt_net_ping", "rt_params_by_line", "rt_continued",
                     "rt_union_arg", "rt_caps", "rt_raw_ptrs", "rt_callbacks", "rt_sets",
                     "rt_bracket_generics", "rt_after_doc_block"]
    for e in model.externs:
        assert e.name_span.start_line == _line_of(text, f"fn {e.name}"), e.name


def test_doc_lines_are_comments(model):
    text = SAMPLE.read_text()
    assert "rt_only_in_doc" not in [e.name for e in model.externs]
    doc = model.externs[0].doc
    assert doc is not None and doc.startswith("A doc line") and "src/*.spl" in doc
    assert mask(text) == mask_slow(text)
    for snippet in ["/// a /* b\nf(1)", "x = 1 /// tail 'q\ny", "////\n", "/* a */// b\n", "//*x*/ f()",
                    '"///" + f(2)', "///*\nextern fn rt_z()\n"]:
        assert mask(snippet) == mask_slow(snippet), snippet
    assert [e.name for e in parse_source("///*\nextern fn rt_z()\n").externs] == ["rt_z"]
    assert "rt_only_in_doc_block" not in [e.name for e in model.externs]
    last = model.externs[-1]
    assert last.name == "rt_after_doc_block" and "rt_only_in_doc_block" in (last.doc or "")
    for snippet in ["///\nbody 'x\n///\nf(1)\n", "///\n/// line\ng()\n", "///\nnever closed /* x\n",
                    "///\r\nextern fn rt_crlf()\r\n", "  ///  \n  in doc\n  ///   \nh()"]:
        assert mask(snippet) == mask_slow(snippet), snippet
    assert [e.name for e in parse_source("///\n/// line\nextern fn rt_y()\n").externs] == ["rt_y"]


def test_extern_async_fn(model):
    by = {e.name: e for e in model.externs}
    assert _sig(by["rt_net_fetch"]) == ([("url", TypeKind.NAMED, "text"), ("timeout_ms", TypeKind.NAMED, "i64")],
                                        (TypeKind.NAMED, "text"))
    assert by["rt_net_ping"].is_pub and by["rt_net_ping"].returns is None


def test_extern_struct_is_neither_an_extern_nor_a_problem():
    m = parse_source("extern struct CRect:\n    left: i64\n    fn area() -> i64\nextern fn rt_ok() -> i64\n")
    assert m.problems == [] and [e.name for e in m.externs] == ["rt_ok"]
    assert parse_source("extern structs x\n").problems  # still a malformed extern


def test_parameters_separated_by_line_breaks(model):
    by = {e.name: e for e in model.externs}
    assert _sig(by["rt_params_by_line"]) == (
        [("handle", TypeKind.NAMED, "i64"), ("buffer", TypeKind.ARRAY, "[u8]"), ("clock", TypeKind.NAMED, "Clock")],
        (TypeKind.NAMED, "i64"))
    # line breaks inside a parameter's type, or next to a comma, stay line breaks
    for text in ["extern fn f(\n    a: Map<text,\n        i64>,\n    b: i64\n)",
                 "extern fn f(a: Map<\n    text, i64>\n    , b: i64)",
                 "extern fn f(cb: fn(i64) ->\n    i64\n    b: i64)",
                 "extern fn f(\n    a: i64 =\n        5\n)"]:
        out = _comma_line_breaks(text)
        assert len(out) == len(text)
        sig = _lark_signature(text)
        assert [p.name for p in sig.params] in (["a", "b"], ["cb", "b"], ["a"]), text
    assert _comma_line_breaks("extern fn f(\n    a: i64\n    b: i64\n)").count(",") == 1
    # after `pub(package)` and in extern class members too
    m = parse_source("pub(package) extern fn rt_pk(\n    a: i64\n    b: text\n) -> i64\n"
                     "extern class K:\n    me push(\n        x: i64\n        y: i64\n    )\n")
    assert m.problems == [] and [(e.name, [p.name for p in e.params]) for e in m.externs] == [
        ("rt_pk", ["a", "b"]), ("push", ["x", "y"])]


def test_trailing_semicolon(model):
    e = model.externs[-1]
    assert _sig(e) == ([("a", TypeKind.NAMED, "i64")], (TypeKind.NAMED, "i64"))
    assert SAMPLE.read_text()[e.span.end - 1] == "4"  # the span stops before the `;`


def test_backslash_continuation(model):
    by = {e.name: e for e in model.externs}
    assert _sig(by["rt_continued"]) == ([("first", TypeKind.NAMED, "i64"), ("second", TypeKind.NAMED, "i64")],
                                        (TypeKind.NAMED, "bool"))


@pytest.mark.parametrize("name, params, returns", [
    ("rt_union_arg", [("value", TypeKind.NAMED, "i64 | text")], (TypeKind.NAMED, "text | nil")),
    ("rt_caps", [("owned", TypeKind.NAMED, "iso Buffer"), ("scratch", TypeKind.ARRAY, "mut [u8]")],
     (TypeKind.NAMED, "i64")),
    ("rt_raw_ptrs", [("shared", TypeKind.POINTER, "*u8"), ("out", TypeKind.POINTER, "*mut *mut u8"),
                     ("weak", TypeKind.POINTER, "-Node"), ("handle", TypeKind.POINTER, "+Node")],
     (TypeKind.POINTER, "*const u8")),
    ("rt_callbacks", [("on_done", TypeKind.FUNCTION, "(i64, text) -> bool"),
                      ("on_tick", TypeKind.FUNCTION, "() -> i64")], (TypeKind.FUNCTION, "fn(i64) -> i64")),
    ("rt_sets", [("keys", TypeKind.NAMED, "{text}"), ("one", TypeKind.TUPLE, "(i64,)"),
                 ("grouped", TypeKind.NAMED, "(i64)")], (TypeKind.NAMED, "dyn Sink")),
    ("rt_bracket_generics", [("table", TypeKind.NAMED, "Dict[text, i64]"), ("lanes", TypeKind.NAMED, "vec[4, f32]")],
     (TypeKind.NAMED, "Iterator<Item=i64>")),
])
def test_compiler_type_forms(model, name, params, returns):
    e = next(x for x in model.externs if x.name == name)
    assert _sig(e) == (params, returns)


def test_type_structure_details(model):
    by = {e.name: e for e in model.externs}
    out = by["rt_raw_ptrs"].params[1].type
    assert out.mutable and out.args[0].kind is TypeKind.POINTER and out.args[0].mutable
    assert not by["rt_raw_ptrs"].params[0].type.mutable
    union = by["rt_union_arg"].params[0].type
    assert [a.name for a in union.args] == ["i64", "text"]
    cb = by["rt_callbacks"].params[0].type
    assert [a.text for a in cb.args] == ["i64", "text"] and cb.returns.text == "bool"
    table = by["rt_bracket_generics"].params[0].type
    assert table.name == "Dict" and [a.text for a in table.args] == ["text", "i64"]
    scratch = by["rt_caps"].params[1].type
    assert scratch.args[0].name == "u8"


def test_fast_path_agrees_or_defers():
    text = SAMPLE.read_text()
    for line in text.splitlines():
        if line.startswith(("extern fn", "pub extern", "extern async")) and "(" in line and line.rstrip().endswith((")", "4", "t", "l", "k", ">", "8")):
            fast = _fast_signature(line)
            if fast is not None:
                assert fast == _lark_signature(line), line
    assert _fast_signature("extern async fn rt_a(x: i64) -> i64") == _lark_signature("extern async fn rt_a(x: i64) -> i64")
    assert _fast_signature("extern fn rt_b(mut x: [u8])") is None


@pytest.mark.parametrize("text, defaults", [
    # the compiler reads a default as any expression (`parse_expression`)
    ("extern fn rt_d(a: i64 = 30 * 1000, b: bool = not ready, c: i64 = x ?? -1) -> i64",
     ["30 * 1000", "not ready", "x ?? -1"]),
    ("extern fn rt_d(table: {text: i64} = {}, xs: [i64] = [1, 2], cb: fn(i64) -> i64 = \\v: v + 1)",
     ["{}", "[1, 2]", "\\v: v + 1"]),
    ("extern fn rt_d(a: f64 = 1.5e3 / 2.0, mask: u32 = 1 << 4 | 2, r: i64 = n % 3)",
     ["1.5e3 / 2.0", "1 << 4 | 2", "n % 3"]),
])
def test_default_values_are_expressions(text, defaults):
    m = parse_source(text)
    assert m.problems == []
    got = [p.default_text for p in m.externs[0].params]
    assert ["".join(d.split()) for d in got] == ["".join(d.split()) for d in defaults]


def test_generic_parameters_with_const_and_defaults():
    m = parse_source("extern fn rt_g<const N: i64, T: Foo + Bar, U = i64>(a: [T; N]) -> U\n")
    assert m.problems == [] and m.externs[0].generics == ("N", "T", "U")
    assert m.externs[0].params[0].type.kind is TypeKind.ARRAY


def test_export_before_extern_is_not_a_problem():
    m = parse_source("export extern fn rt_exported(a: i64) -> i64\n")
    assert m.problems == [] and [e.name for e in m.externs] == ["rt_exported"]
    assert not m.externs[0].is_pub


def test_conditional_lines_indented_or_without_colon():
    # the compiler's preprocessor reads trimmed lines: `@when(..)` with or
    # without `:`, `@else` / `@else:`, `@end`, at any indentation, and branch
    # bodies may be indented under the directive
    text = (
        '@when(os="windows"):\n'
        "    extern fn rt_tick() -> u32\n"
        "@else:\n"
        "    extern fn rt_tick() -> u64\n"
        "@end\n"
        "fn body():\n"
        '    @when(os="linux"):\n'
        "    extern fn rt_local() -> i64\n"
        "    @else\n"
        "    extern fn rt_local() -> i32\n"
        "    @end\n"
        "    rt_local()\n"
        '@when(arch="x86_64")\n'
        "extern fn rt_nocolon() -> i64\n"
        "@elif(arch=\"aarch64\")\n"
        "extern fn rt_nocolon() -> i32\n"
        "@end\n"
        "extern fn rt_after() -> i64\n"
    )
    m = parse_source(text)
    assert m.problems == []
    got = [(e.name, e.when, e.enclosing_fn) for e in m.externs]
    assert got == [
        ("rt_tick", 'os="windows"', None),
        ("rt_tick", 'not (os="windows")', None),
        ("rt_local", 'os="linux"', "body"),
        ("rt_local", 'not (os="linux")', "body"),
        ("rt_nocolon", 'arch="x86_64"', None),
        ("rt_nocolon", 'not (arch="x86_64") and (arch="aarch64")', None),
        ("rt_after", None, None),
    ]
    assert all(not e.attributes for e in m.externs)
    # a `@when(..)` with code after it on the same line stays an attribute
    m = parse_source('@when(os="linux") extern fn rt_inline() -> i64\nextern fn rt_next() -> i64\n')
    assert [(e.name, e.when) for e in m.externs][1] == ("rt_next", None)


def test_extern_class_headers_the_compiler_parses_as_classes():
    # `extern class` is parsed as a class: whatever follows the name is fine
    for head, members in [("extern class Foo(Base):", ["a", "b"]), ("extern class Gen<T> with Show:", ["a", "b"])]:
        m = parse_source(f"{head}\n    fn a(x: i64) -> i64\n    static fn b()\n")
        assert m.problems == [] and [x.name for x in m.extern_blocks[0].members] == members
    m = parse_source("extern class Opaque\nextern fn rt_z()\n")
    assert m.problems == [] and [e.name for e in m.externs] == ["rt_z"]
    assert parse_source("extern class:\n    fn a()\n").problems  # no name: still malformed


def test_unicode_identifiers_as_the_compiler_lexes_them():
    # the compiler's identifiers are `is_alphanumeric() || '_'`: Unicode letters too
    text = "extern fn rt_größe(länge: i64, 名前: text) -> Maß\nextern fn rt_next() -> i64\n"
    m = parse_source(text)
    assert m.problems == []
    assert [(e.name, [(p.name, p.type.text) for p in e.params], e.returns.text) for e in m.externs] == [
        ("rt_größe", [("länge", "i64"), ("名前", "text")], "Maß"), ("rt_next", [], "i64")]
    one = text.splitlines()[0]
    assert _fast_signature(one) == _lark_signature(one)
    # multi-line form goes through Lark only
    m = parse_source("extern fn rt_ü(\n    ä: i64\n    ö: [u8]\n) -> i64\n")
    assert m.problems == [] and [p.name for p in m.externs[0].params] == ["ä", "ö"]
    # a name still cannot start with a digit
    assert parse_source("extern fn 9lives() -> i64\n").problems


def test_multi_line_attribute_whose_last_line_ends_the_arguments():
    # `@rt(...)` spread over lines, the last one `    preferred: c)` (not a lone `)`)
    text = ("## Waits on the fixture.\n"
            "@rt(hal, operation: io.wait.v3, providers: pure+c,\n"
            "    capabilities: 8, comparator: 3,\n"
            "    preferred: c)\n"
            "extern fn rt_hal_wait(fixture: i64, out: *mut u8) -> i32\n"
            "fn body():\n"
            "    log(a,\n"
            "        b)\n"
            "    extern fn rt_local(x: i64)\n")
    m = parse_source(text)
    assert m.problems == []
    wait, local = m.externs
    assert [(a.name, " ".join(a.args_text.split())) for a in wait.attributes] == [
        ("rt", "hal, operation: io.wait.v3, providers: pure+c, capabilities: 8, comparator: 3, preferred: c")]
    assert wait.doc == "Waits on the fixture."
    assert wait.attributes[0].span.start_line == 1
    # a call's closing line above a local extern is not an attribute
    assert local.attributes == () and local.doc is None


def test_same_line_attribute_with_nested_parentheses():
    # the compiler parses attribute arguments as expressions: calls nest
    m = parse_source("@cfg(any(linux, macos)) extern fn rt_n(a: i64) -> i64\n"
                     "fn f():\n"
                     "    @cfg(all(unix, not(x86))) extern fn rt_loc(a: i64)\n"
                     "    rt_loc(1)\n"
                     "extern fn rt_z()\n")
    assert m.problems == []
    assert [(e.name, e.enclosing_fn, [(a.name, a.args_text) for a in e.attributes]) for e in m.externs] == [
        ("rt_n", None, [("cfg", "any(linux, macos)")]),
        ("rt_loc", "f", [("cfg", "all(unix, not(x86))")]),
        ("rt_z", None, []),
    ]
