"""Built-ins lists and the ABI comparison (with C signatures shaped like DWARF's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sffi_lsp.binary.types import CParam, CSignature, CType
from sffi_lsp.check.abi import (
    builtin_profile,
    compare_with_builtin,
    compare_with_c,
    dynamic_path_problems,
    simple_type_for_c,
    type_category,
)
from sffi_lsp.check.builtins import parse_builtin_list, parse_signature, read_builtin_list
from sffi_lsp.config_types import AbiMapping, AbiProfile

I64 = CType("int64_t", "base", "long int", 8, "signed", typedefs=("int64_t",))
U64 = CType("uint64_t", "base", "long unsigned int", 8, "unsigned")
I32 = CType("int", "base", "int", 4, "signed")
U8 = CType("uint8_t", "base", "unsigned char", 1, "unsigned_char")
DBL = CType("double", "base", "double", 8, "float")
FLT = CType("float", "base", "float", 4, "float")
BOOL = CType("_Bool", "base", "_Bool", 1, "bool")
CSTR = CType("const char *", "pointer", "char", 8, None, pointer_depth=1, is_const=True)
BYTES = CType("const uint8_t *", "pointer", "unsigned char", 8, None, pointer_depth=1, is_const=True)
VOIDP = CType("void *", "pointer", None, 8, None, pointer_depth=1)
STRUCT = CType("struct point", "struct", None, 16)
ENUM = CType("enum mode", "enum", "unsigned int", 4, "unsigned")


def sig(name: str, *params: CType, returns: CType | None = None, variadic: bool = False) -> CSignature:
    return CSignature(name, tuple(CParam(f"p{i}", t) for i, t in enumerate(params)), returns, variadic)


def decl(text: str):
    return parse_signature(text)


def test_list_file_entries_signatures_and_problems(tmp_path: Path) -> None:
    path = tmp_path / "builtins.txt"
    path.write_text(
        "# runtime built-ins\n\nrt_plain\nrt_file_exists(path: text) -> bool   # checked\n"
        "extern fn rt_env_get(key: text) -> text?\nrt_plain\nrt_broken(x: ) ->\n9nope\n"
    )
    lst = read_builtin_list(str(path))
    assert list(lst.entries) == ["rt_plain", "rt_file_exists", "rt_env_get", "rt_broken"]
    assert lst.entries["rt_plain"].signature is None and lst.entries["rt_plain"].line == 2
    exists = lst.entries["rt_file_exists"].signature
    assert exists.signature_text() == "extern fn rt_file_exists(path: text) -> bool"
    assert exists.name_span.start_line == 3 and exists.path == str(path)
    assert lst.entries["rt_env_get"].signature.returns.text == "text?"
    assert [(p.line, p.message.split(":")[0]) for p in lst.problems] == [
        (5, "rt_plain is listed again (first at line 3)"),
        (6, "cannot read the signature of rt_broken"),
        (7, "not a name or signature"),
    ]
    assert lst.identity and read_builtin_list(str(tmp_path / "none")).problems[0].message.startswith("cannot read")


@pytest.mark.parametrize("text", [
    "f(a: [u8], b: {text: i64}, c: (i64, text), d: *mut u8, e: fn(i64) -> bool) -> List<text>?",
    "g<T>(value: T) -> ()",
    "h(first: i64, second: i64) -> i64",
])
def test_signatures_keep_their_text(text: str) -> None:
    assert decl(text).signature_text() == "extern fn " + text


def test_type_categories() -> None:
    d = decl("f(a: i32, b: text, c: [u8], d: i64?, e: (i64, i64), f: {text: i64}, g: Foo, h: *mut u8, i: str) -> ()")
    assert [type_category(p.type) for p in d.params] == [
        "i32", "text", "array", "optional", "tuple", "dict", "value", "pointer", "text"]
    assert type_category(d.returns) == "unit"


def test_native_profile_text_is_pointer_and_length() -> None:
    native = builtin_profile("native")
    assert compare_with_c(decl("rt_json_parse(src: text) -> i64"), sig("rt_json_parse", BYTES, U64, returns=I64),
                          native) == []
    (m,) = compare_with_c(decl("f(src: text) -> i64"), sig("f", CSTR, returns=I64), native)
    assert m.kind == "arity" and m.param_index is None and "2 C arguments" in m.message and "takes 1" in m.message
    # a text result is a runtime handle, not a C string
    (m,) = compare_with_c(decl("g() -> text"), sig("g", returns=CSTR), native)
    assert m.kind == "return" and "pointer-ness" in m.message and m.suggested_type == "i64"


def test_cstring_profile_text_is_one_pointer() -> None:
    cstring = builtin_profile("cstring")
    assert compare_with_c(decl("f(path: text) -> text"), sig("f", CSTR, returns=CSTR), cstring) == []
    assert simple_type_for_c(CSTR, cstring) == "text"


@pytest.mark.parametrize(
    ("simple", "ctype", "problem", "suggestion"),
    [
        ("i64", I64, None, None),
        ("i64", CType("long long", "base", "long long int", 8, "signed"), None, None),
        ("f64", DBL, None, None),
        ("i32", I64, "width", "i64"),
        ("u64", I64, "signedness", "i64"),
        ("i64", DBL, "float-ness", "f64"),
        ("f32", DBL, "width", "f64"),
        ("f64", I64, "float-ness", "i64"),
        ("i64", VOIDP, None, None),  # raw addresses travel in i64 by convention
        ("i32", VOIDP, "pointer-ness", "i64"),
        ("bool", BOOL, None, None),
        ("bool", U8, None, None),
        ("bool", I32, "width", "i32"),
        ("i32", ENUM, None, None),
        ("u32", ENUM, None, None),
        ("i64", STRUCT, "by value", None),
        ("[u8]", VOIDP, "pointer-ness", "i64"),  # an array is a handle under native
        ("[u8]", I64, None, None),
    ],
)
def test_parameter_classes(simple: str, ctype: CType, problem: str | None, suggestion: str | None) -> None:
    out = compare_with_c(decl(f"f(x: {simple})"), sig("f", ctype), builtin_profile("native"))
    if problem is None:
        assert out == []
    else:
        (m,) = out
        assert m.kind == "param" and m.param_index == 0 and problem in m.message
        assert m.suggested_type == suggestion and m.c_text == ctype.text


def test_return_and_void() -> None:
    native = builtin_profile("native")
    assert compare_with_c(decl("f(x: i64)"), sig("f", I64), native) == []
    (m,) = compare_with_c(decl("f(x: i64) -> i64"), sig("f", I64), native)
    assert (m.kind, m.suggested_type) == ("return", "()")
    (m,) = compare_with_c(decl("f(x: i64)"), sig("f", I64, returns=I32), native)
    assert "declares no result" in m.message and m.suggested_type == "i32"


def test_variadic_accepts_extra_arguments() -> None:
    printf = sig("printf", CSTR, returns=I32, variadic=True)
    assert compare_with_c(decl("printf(fmt: i64, a: i64, b: i64) -> i32"), printf, builtin_profile("native")) == []
    (m,) = compare_with_c(decl("printf() -> i32"), printf, builtin_profile("native"))
    assert "at least 1" in m.message


def test_dynamic_profile_passes_everything_as_i64() -> None:
    dyn = builtin_profile("dynamic")
    assert dyn.max_args == 12
    assert compare_with_c(decl("f(a: text, b: [u8]) -> text"), sig("f", I64, I64, returns=I64), dyn) == []
    (m,) = compare_with_c(decl("f(a: f64)"), sig("f", DBL), dyn)
    assert "float-ness" in m.message


def test_user_profile_mapping() -> None:
    mine = AbiProfile("mine", params={"text": AbiMapping(("ptr",))}, returns={})
    assert compare_with_c(decl("f(a: text, n: i64)"), sig("f", CSTR, I64), mine) == []  # rest falls back to native


def test_compare_with_builtin() -> None:
    builtin = decl("rt_file_exists(path: text) -> bool")
    assert compare_with_builtin(decl("rt_file_exists(p: str) -> bool"), builtin) == []  # alias, other name
    (m,) = compare_with_builtin(decl("rt_file_exists(path: text) -> i64"), builtin)
    assert (m.kind, m.suggested_type) == ("return", "bool")
    (m,) = compare_with_builtin(decl("rt_file_exists(path: i64) -> bool"), builtin)
    assert (m.kind, m.param_index, m.suggested_type) == ("param", 0, "text")
    (m,) = compare_with_builtin(decl("rt_file_exists() -> bool"), builtin)
    assert m.kind == "arity"
    assert compare_with_builtin(decl("f() -> ()"), decl("f()")) == []


def test_dynamic_path_problems() -> None:
    assert dynamic_path_problems(decl("f(a: i64, b: text) -> text")) == []
    many = decl("f(" + ", ".join(f"a{i}: i64" for i in range(13)) + ")")
    assert any("13 arguments" in p and "12" in p for p in dynamic_path_problems(many))
    probs = dynamic_path_problems(decl("f(x: f64, cb: fn(i64) -> i64) -> f32"))
    assert len(probs) == 3 and "float" in probs[0] and "callback" in probs[1] and "result" in probs[2]


def test_list_parse_never_raises() -> None:
    lst = parse_builtin_list("f(\n(g\nh(a: [)\nk) -> \n\x00\n" + "x(" * 500 + "\n")
    assert len(lst.problems) >= 4
