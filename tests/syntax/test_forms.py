"""Every form of simple-syntax.md, read from samples written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from sffi_lsp.model import TypeKind
from sffi_lsp.syntax import parse_file, parse_source


@pytest.fixture(scope="module")
def forms(samples: Path):
    return parse_file(samples / "forms.spl")


def by_name(sf):
    return {e.name: e for e in sf.externs}


def test_forms_read_without_problems(forms):
    assert forms.problems == []
    assert forms.line_count == (Path(forms.path).read_text().count("\n") + 1)


def test_exact_extern_set(forms):
    # docstring, block comment and string mentions are not externs
    assert [e.name for e in forms.externs] == [
        "rt_clock_now", "rt_log_close", "rt_buf_fill", "rt_box_keep", "rt_proc_spawn",
        "rt_pair_sum", "write", "rt_cfg_get", "rt_unit_thing", "rt_named_like", "rt_fancy",
        "rt_epoll_create", "rt_kqueue_create", "new", "count", "close", "strlen", "abs",
        "rt_local_only",
    ]


@pytest.mark.parametrize("name,sig", [
    ("rt_clock_now", "extern fn rt_clock_now() -> i64"),
    ("rt_log_close", "extern fn rt_log_close(handle: i64)"),
    ("rt_buf_fill", "extern fn rt_buf_fill(dst: [u8], n: i64) -> [u8]"),
    ("rt_box_keep", "extern fn rt_box_keep<T>(value: T) -> bool"),
    ("rt_proc_spawn", "extern fn rt_proc_spawn(command: text, args: [text]) -> (text, text, i64)"),
    ("rt_pair_sum", "extern fn rt_pair_sum(first: i64, second: i64) -> i64"),
    ("write", "extern fn write(fd: i32, buf: i64, n: u64) -> i64"),
    ("rt_cfg_get", "extern fn rt_cfg_get(key: text) -> text?"),
    ("rt_unit_thing", "extern fn rt_unit_thing() -> ()"),
    ("rt_named_like", "extern fn rt_named_like(text: text) -> text"),
    ("rt_fancy", "extern fn rt_fancy(cb: fn(i64) -> bool, p: *mut u8, m: {text: i64}, "
                 "r: Result<List<i64>, text>) -> pkg.mod.Handle?"),
])
def test_signatures(forms, name, sig):
    assert by_name(forms)[name].signature_text() == sig


def test_lines_and_name_spans(forms, samples):
    lines = (samples / "forms.spl").read_text().split("\n")
    for e in forms.externs:
        line = lines[e.name_span.start_line]
        assert line[e.name_span.start_column:e.name_span.end_column] == e.name
        assert e.path.endswith("forms.spl")


def test_type_structure(forms):
    f = by_name(forms)["rt_fancy"]
    cb, p, m, r = (x.type for x in f.params)
    assert cb.kind is TypeKind.FUNCTION and cb.returns.name == "bool" and cb.args[0].name == "i64"
    assert p.kind is TypeKind.POINTER and p.mutable and p.args[0].name == "u8"
    assert m.kind is TypeKind.DICT and [a.name for a in m.args] == ["text", "i64"]
    assert r.kind is TypeKind.NAMED and r.name == "Result"
    assert r.args[0].name == "List" and r.args[0].args[0].name == "i64"
    ret = f.returns
    assert ret.kind is TypeKind.OPTIONAL and ret.args[0].name == "pkg.mod.Handle"
    spawn = by_name(forms)["rt_proc_spawn"]
    assert spawn.returns.kind is TypeKind.TUPLE and len(spawn.returns.args) == 3
    assert by_name(forms)["rt_unit_thing"].returns.kind is TypeKind.UNIT
    assert by_name(forms)["rt_log_close"].returns is None
    assert by_name(forms)["rt_buf_fill"].params[0].type.kind is TypeKind.ARRAY


def test_type_spans_point_at_source(forms, samples):
    text = (samples / "forms.spl").read_text()
    for e in forms.externs:
        for p in e.params:
            if p.type is not None:
                assert " ".join(text[p.type.span.start:p.type.span.end].split()) == p.type.text
            assert text[p.name_span.start:p.name_span.end] == p.name


def test_pub_generics_attributes_docs_comments(forms):
    e = by_name(forms)
    assert e["rt_buf_fill"].is_pub and not e["rt_clock_now"].is_pub
    assert e["rt_box_keep"].generics == ("T",)
    (attr,) = e["write"].attributes
    assert attr.name == "unsafe" and 'reason: "raw descriptor"' in attr.args_text
    assert e["rt_clock_now"].doc == "Returns the wall clock in milliseconds.\nMonotonic on every platform."
    assert e["rt_log_close"].trailing_comment == "no return type"
    assert e["rt_pair_sum"].trailing_comment == "trailing note"
    assert e["rt_buf_fill"].doc is None


def test_when_blocks(forms):
    e = by_name(forms)
    assert e["rt_epoll_create"].when == 'os="linux"'
    assert e["rt_kqueue_create"].when == 'not (os="linux")'
    assert e["rt_clock_now"].when is None and e["rt_local_only"].when is None
    assert e["rt_epoll_create"].attributes == ()


def test_extern_blocks_and_local_externs(forms):
    cls, c = forms.extern_blocks
    assert (cls.kind, cls.name, [m.name for m in cls.members]) == ("class", "Window", ["new", "count", "close"])
    assert (c.kind, c.name, [m.name for m in c.members]) == ("C", None, ["strlen", "abs"])
    assert all(m.block == "class Window" for m in cls.members)
    assert all(m.block == '"C"' for m in c.members)
    assert by_name(forms)["rt_local_only"].enclosing_fn == "with_local"
    assert len(forms.extern_types) == 1 and forms.extern_types[0].start_line == 59
    # extern members are not plain functions
    assert "strlen" not in {f.name for f in forms.functions}


def test_calls(forms):
    got = [(c.name, c.arg_count, c.enclosing_fn, c.qualified) for c in forms.calls]
    assert ("rt_clock_now", 0, "now_ms", False) in got
    assert ("rt_proc_spawn", 2, "spawn_all", False) in got  # multi-line list argument
    assert ("rt_clock_now", 0, "spawn_all", False) in got   # inside string interpolation
    assert ("rt_local_only", 2, "helper", False) in got      # nested fn
    assert ("rt_pair_sum", 2, "helper", False) in got
    assert ("sqrt", 0, "length", True) in got                # method call is qualified
    assert not any(c.name in ("extern", "fn", "unsafe", "path") for c in forms.calls)
    # no call is invented from declarations
    assert not any(c.name in ("rt_proc_spawn",) and c.enclosing_fn is None for c in forms.calls)


def test_functions(forms):
    got = {(f.name, f.enclosing) for f in forms.functions}
    assert {("origin", "Point"), ("length", "Point"), ("shift", "Point"), ("now_ms", None),
            ("helper", "with_local"), ("adder", None)} <= got


def test_uses(forms):
    got = [(u.kind, u.path, u.names) for u in forms.uses]
    assert got == [
        ("use", "std.io", ("read_line", "write_line")),
        ("use", "app.util", ("*",)),
        ("export", "std.sffi", ("DynLib",)),
        ("use", "nogc.sffi.alloc", ("*",)),
        ("use", "legacy::mod", ("thing",)),
        ("use", "older.path", ("alpha", "beta")),
        ("mod", "helpers", ()),
        ("export", "", ("open_clock", "close_clock", "Clock")),
    ]


def test_suppressions(forms):
    file_wide, line = forms.suppressions
    assert file_wide.file_wide and file_wide.codes == ("SFFI009",)
    assert not line.file_wide and line.codes == ("SFFI001", "SFFI002")
    assert line.line == by_name(forms)["rt_named_like"].span.start_line
    sf = parse_source("extern fn a()  # sffi: ignore\n")
    assert sf.suppressions[0].codes == () and not sf.suppressions[0].file_wide


def test_tricky_sample_has_only_real_externs(samples):
    sf = parse_file(samples / "tricky.spl")
    assert sf.problems == []
    assert [e.name for e in sf.externs] == ["rt_tls_close", "rt_run"]
    calls = {(c.name, c.arg_count, c.enclosing_fn) for c in sf.calls}
    assert ("rt_tls_close", 1, "close") in calls
    assert ("rt_tls_close", 1, "transform") in calls  # inside an unsafe(...) block expression
    assert ("rt_run", 3, "shell_line") in calls
    assert ("reduce", 2, "transform") in calls  # a lambda's commas are not separators
    assert ("open", "Session") in {(f.name, f.enclosing) for f in sf.functions}
    assert sf.uses[0].names == ("Session", "Status")


def test_one_line_variants():
    src = (
        "pub(package) extern fn rt_pkg(a: i64) -> i64\n"
        "@unsafe(reason: \"x\") @inline extern fn rt_inline_attrs() -> i64\n"
        "#[link_name(\"c\")]\n"
        "extern fn rt_hash_attr(p: i64) -> i64\n"
        "@unsafe(\n    reason: \"multi\",\n    capabilities: [ffi],\n)\n"
        "extern fn rt_multi_attr() -> bool\n"
        "/** Block doc\n * second line */\n"
        "extern fn rt_block_doc(xs: [u8; 16], d: i64 = -1, s: text = \"hi\") -> i64\n"
        "extern fn rt_stub(x: i64) -> (i32, text, text):\n    none\n"
    )
    sf = parse_source(src)
    assert sf.problems == []
    e = by_name(sf)
    assert e["rt_pkg"].is_pub
    assert [a.name for a in e["rt_inline_attrs"].attributes] == ["unsafe", "inline"]
    assert [(a.name, a.args_text) for a in e["rt_hash_attr"].attributes] == [("link_name", '"c"')]
    (multi,) = e["rt_multi_attr"].attributes
    assert "capabilities: [ffi]" in multi.args_text
    assert e["rt_block_doc"].doc == "Block doc\nsecond line"
    xs, d, s = e["rt_block_doc"].params
    assert xs.type.kind is TypeKind.ARRAY and d.default_text == "-1" and s.default_text is not None
    assert e["rt_stub"].returns.text == "(i32, text, text)"
    assert e["rt_stub"].span.end_line == e["rt_stub"].span.start_line


def test_else_after_elif_is_none_of_the_branches():
    text = (
        '@when(os="linux"):\nextern fn rt_a() -> i64\n'
        '@elif(os="macos"):\nextern fn rt_b() -> i64\n'
        '@elif(os="freebsd"):\nextern fn rt_c() -> i64\n'
        '@else:\nextern fn rt_d() -> i64\n@end\n'
    )
    when = {e.name: e.when for e in parse_source(text).externs}
    assert when == {
        "rt_a": 'os="linux"',
        "rt_b": 'not (os="linux") and (os="macos")',
        "rt_c": 'not (os="linux") and not (os="macos") and (os="freebsd")',
        "rt_d": 'not (os="linux") and not (os="macos") and not (os="freebsd")',
    }
