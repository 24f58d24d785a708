"""Rules that need only the syntax model: real .spl text through the real parser."""

from __future__ import annotations

from check_helpers import model_check


def codes(result, code=None):
    return [f for f in result.findings if code is None or f.code == code]


def test_syntax_error_reported_once_and_rest_of_file_read(tmp_path):
    r = model_check(tmp_path, {"a.spl": "extern fn rt_bad(a: i64, -> i64\nextern fn rt_ok() -> i64\nfn main():\n    rt_ok()\n"},
                    builtins={"rt_ok"})
    errs = codes(r, "SFFI015")
    assert len(errs) == 1
    assert errs[0].name == "syntax-error" and errs[0].span.start_line == 0
    assert (str(tmp_path / "a.spl"), "rt_ok") in {(p, n) for p, n in r.by_decl}


def test_extern_type_says_use_i64_handles(tmp_path):
    r = model_check(tmp_path, {"a.spl": "extern type Window\nextern fn rt_w() -> i64\nfn f():\n    rt_w()\n"}, builtins={"rt_w"})
    [f] = codes(r, "SFFI016")
    assert "i64" in f.message and f.span.start_line == 0


def test_duplicate_extern_same_file_but_not_across_when_branches(tmp_path):
    text = (
        "extern fn rt_now() -> i64\n"
        "extern fn rt_now() -> i64\n"
        "@when(os=\"linux\"):\n"
        "extern fn rt_os() -> i64\n"
        "@else:\n"
        "extern fn rt_os() -> i32\n"
        "@end\n"
        "fn f():\n    rt_now()\n    rt_os()\n"
    )
    r = model_check(tmp_path, {"a.spl": text}, builtins={"rt_now", "rt_os"})
    dups = codes(r, "SFFI010")
    assert [d.symbol for d in dups] == ["rt_now"]
    assert dups[0].span.start_line == 1
    assert dups[0].related[0].span.start_line == 0
    assert dups[0].fixes and dups[0].fixes[0].edits[0].new_text == ""


def test_conflicting_declarations_across_files_point_at_each_other(tmp_path):
    r = model_check(
        tmp_path,
        {
            "io/file.spl": "extern fn rt_file_size(path: text) -> i64\nfn a():\n    rt_file_size(\"x\")\n",
            "tools/du.spl": "extern fn rt_file_size(p: text) -> i32\nfn b():\n    rt_file_size(\"y\")\n",
            "tools/same.spl": "extern fn rt_file_size(other: text) -> i64\n",
        },
        builtins={"rt_file_size"},
    )
    found = codes(r, "SFFI009")
    by_path = {f.path.rsplit("/", 1)[1]: f for f in found}
    assert set(by_path) == {"file.spl", "du.spl", "same.spl"}
    assert by_path["du.spl"].related[0].path.endswith(("file.spl", "same.spl"))
    assert by_path["file.spl"].related[0].path.endswith("du.spl")
    assert "(text) -> i32" in by_path["du.spl"].message


def test_identical_declarations_in_two_files_are_fine(tmp_path):
    r = model_check(tmp_path, {"a.spl": "extern fn rt_x(a: i64)\n", "b.spl": "extern fn rt_x(b: i64)\n"}, builtins={"rt_x"})
    assert not codes(r, "SFFI009") and not codes(r, "SFFI010")


def test_call_arity_mismatch_local_and_cross_file(tmp_path):
    r = model_check(
        tmp_path,
        {
            "a.spl": "extern fn rt_copy(dst: i64, src: i64, n: i64)\nfn f():\n    rt_copy(1, 2)\n    rt_copy(1, 2, 3)\n",
            "b.spl": "fn g():\n    rt_copy(1)\n    obj.rt_copy(1)\n",
        },
        builtins={"rt_copy"},
    )
    found = sorted(codes(r, "SFFI011"), key=lambda f: f.path)
    assert [(f.path.rsplit("/", 1)[1], f.span.start_line) for f in found] == [("a.spl", 2), ("b.spl", 1)]
    assert "2 arguments but its extern declares 3" in found[0].message


def test_call_to_local_function_of_same_name_is_not_checked(tmp_path):
    r = model_check(
        tmp_path,
        {"a.spl": "extern fn rt_p(a: i64)\n", "b.spl": "fn rt_p(a, b):\n    pass\nfn g():\n    rt_p(1, 2)\n"},
        builtins={"rt_p"},
    )
    assert not codes(r, "SFFI011")


def test_unused_extern_is_info_and_exports_count_as_use(tmp_path):
    r = model_check(
        tmp_path,
        {"a.spl": "extern fn rt_used()\nextern fn rt_unused()\nextern fn rt_exported()\nexport rt_exported\nfn f():\n    rt_used()\n"},
        builtins={"rt_used", "rt_unused", "rt_exported"},
    )
    found = codes(r, "SFFI012")
    assert [f.symbol for f in found] == ["rt_unused"]
    assert found[0].severity.value == "info"


def test_naming_rule_is_opt_in(tmp_path):
    files = {"a.spl": "extern fn simple_json_parse(s: text) -> i64\nextern fn rt_ok()\n"}
    assert not codes(model_check(tmp_path, files), "SFFI017")
    r = model_check(tmp_path, files, extend=("extern-naming",))
    assert [f.symbol for f in codes(r, "SFFI017")] == ["simple_json_parse"]


def test_select_ignore_and_severity_override(tmp_path):
    files = {"a.spl": "extern fn rt_a()\nextern type T\n"}
    r = model_check(tmp_path, files, select=("SFFI016",))
    assert {f.code for f in r.findings} == {"SFFI016"}
    r = model_check(tmp_path, files, ignore=("unresolved-extern", "SFFI012"))
    assert {f.code for f in r.findings} == {"SFFI016"}
    from sffi_lsp.config_types import RuleSettings
    from check_helpers import BuiltinOnlyProviders, parse_source
    from sffi_lsp.check.engine import Workspace, check
    from sffi_lsp.config_types import Config

    cfg = Config(root=str(tmp_path), rules=RuleSettings(severity={"extern-type": "hint"}))
    res = check(Workspace([parse_source(files["a.spl"], str(tmp_path / "a.spl"))]), BuiltinOnlyProviders(), cfg)
    assert [f.severity.value for f in res.findings if f.code == "SFFI016"] == ["hint"]


def test_suppression_comments_line_and_file(tmp_path):
    text = (
        "extern fn rt_a()  # sffi: ignore[SFFI001]\n"
        "extern fn rt_b()  # sffi: ignore[unused-extern]\n"
        "extern fn rt_c()\n"
    )
    r = model_check(tmp_path, {"a.spl": text})
    got = {(f.code, f.symbol) for f in r.findings}
    assert ("SFFI001", "rt_a") not in got and ("SFFI012", "rt_a") in got
    assert ("SFFI012", "rt_b") not in got and ("SFFI001", "rt_b") in got
    assert ("SFFI001", "rt_c") in got
    assert r.suppressed == 2
    r = model_check(tmp_path, {"a.spl": "# sffi: ignore-file[SFFI012]\n" + text})
    assert not [f for f in r.findings if f.code == "SFFI012"]


def test_unresolved_extern_suggests_and_offers_rename_fix(tmp_path):
    text = "extern fn rt_file_exsts(path: text) -> bool\nfn f():\n    rt_file_exsts(\"a\")\n"
    r = model_check(tmp_path, {"a.spl": text}, builtins={"rt_file_exists"})
    [f] = codes(r, "SFFI001")
    assert f.suggestions == ("rt_file_exists",)
    assert "did you mean `rt_file_exists`" in f.message
    fix = f.fixes[0]
    assert fix.preferred and {e.span.start_line for e in fix.edits} == {0, 2}
    assert all(e.new_text == "rt_file_exists" for e in fix.edits)


def test_extern_class_members_are_not_resolved_by_bare_name(tmp_path):
    text = (
        "extern class Window:\n    fn open(title: text) -> i64\n"
        "extern \"C\":\n    fn rt_c_thing(a: i64) -> i64\n"
        "fn f():\n    Window.open(\"t\")\n    open(1, 2, 3)\n    rt_c_thing(1)\n"
    )
    other = "extern class Door:\n    fn open() -> bool\n"
    r = model_check(tmp_path, {"a.spl": text, "b.spl": other}, extend=("SFFI017",))
    assert [(f.code, f.symbol) for f in r.findings if f.code in ("SFFI001", "SFFI009", "SFFI011", "SFFI017")] == [
        ("SFFI001", "rt_c_thing")
    ]


def test_bare_ignore_comment_hides_every_code_on_its_line(tmp_path):
    r = model_check(tmp_path, {"a.spl": "extern fn rt_a()  # sffi: ignore\nextern fn rt_b()\n"})
    assert {f.symbol for f in r.findings} == {"rt_b"} and r.suppressed == 2


def test_local_externs_of_spec_blocks_are_not_duplicates(tmp_path):
    text = (
        "describe \"files\":\n"
        "    it \"opens\":\n"
        "        extern fn rt_file_open(path: text) -> i64\n"
        "        rt_file_open(\"a\")\n"
        "    it \"opens twice\":\n"
        "        extern fn rt_file_open(path: text) -> i64\n"
        "        rt_file_open(\"b\")\n"
        "extern fn rt_top() -> i64\n"
        "extern fn rt_top() -> i64\n"
        "fn f():\n    rt_top()\n"
    )
    r = model_check(tmp_path, {"a_spec.spl": text}, builtins={"rt_file_open", "rt_top"})
    assert [d.symbol for d in codes(r, "SFFI010")] == ["rt_top"]
