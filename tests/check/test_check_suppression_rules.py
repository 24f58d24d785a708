"""SFFI029 unknown-suppression-code and SFFI030 unused-suppression, through the
engine (the CLI tests in tests/cli_ux apply their fixes on disk), and the fix
edits of check/fixes.py that both the CLI and the server use."""

from __future__ import annotations

from check_helpers import model_check

from sffi_lsp.check.fixes import apply_edits, chosen_fix, suppression_edit


def codes(result, code=None):
    return [f for f in result.findings if code is None or f.code == code]


def _fixed(text: str, finding) -> str:
    fix = chosen_fix(finding)
    assert fix is not None
    out = apply_edits(text, fix.edits)
    assert out is not None
    return out


def test_unknown_codes_are_reported_and_removed(tmp_path):
    text = "extern fn rt_a() -> i64  # sffi: ignore[SFFI001, SFFI0001, not-a-rule]\nfn f():\n    rt_a()\n"
    r = model_check(tmp_path, {"a.spl": text})
    [f] = codes(r, "SFFI029")
    assert "`SFFI0001`" in f.message and "`NOT-A-RULE`" in f.message and f.name == "unknown-suppression-code"
    assert _fixed(text, f).splitlines()[0] == "extern fn rt_a() -> i64  # sffi: ignore[SFFI001]"
    assert not codes(r, "SFFI001")  # the known code still works


def test_unused_suppressions_whole_comment_and_single_codes(tmp_path):
    text = ("extern fn rt_a() -> i64  # sffi: ignore[SFFI001, SFFI010]\n"
            "extern fn rt_b() -> i64  # sffi: ignore\n"
            "# sffi: ignore-file[SFFI011]\n"
            "extern fn rt_c() -> i64  # why: sffi: ignore[SFFI012]\n"
            "fn f():\n    rt_a()\n    rt_b()\n    rt_c()\n")
    r = model_check(tmp_path, {"a.spl": text}, builtins={"rt_b", "rt_c"})
    unused = {f.span.start_line: f for f in codes(r, "SFFI030")}
    assert set(unused) == {0, 1, 2, 3}
    assert "`SFFI010`" in unused[0].message
    assert _fixed(text, unused[0]).splitlines()[0] == "extern fn rt_a() -> i64  # sffi: ignore[SFFI001]"
    assert _fixed(text, unused[1]).splitlines()[1] == "extern fn rt_b() -> i64"
    assert _fixed(text, unused[2]).splitlines()[2] == "extern fn rt_c() -> i64  # why: sffi: ignore[SFFI012]"
    assert _fixed(text, unused[3]).splitlines()[3] == "extern fn rt_c() -> i64  # why: "


def test_codes_of_rules_not_enabled_are_not_unused(tmp_path):
    text = "extern fn rt_a() -> i64  # sffi: ignore[SFFI017]\nfn f():\n    rt_a()\n"
    r = model_check(tmp_path, {"a.spl": text}, builtins={"rt_a"})
    assert not codes(r, "SFFI030")  # SFFI017 is opt-in and off here
    r = model_check(tmp_path, {"a.spl": text}, builtins={"rt_a"}, extend=("SFFI017",))
    assert len(codes(r, "SFFI030")) == 1  # on, and rt_a has an accepted prefix: nothing to hide
    text2 = "extern fn plain_a() -> i64  # sffi: ignore[SFFI017]\nfn f():\n    plain_a()\n"
    r = model_check(tmp_path, {"a.spl": text2}, builtins={"plain_a"}, extend=("SFFI017",))
    assert not codes(r, "SFFI030") and not codes(r, "SFFI017") and r.suppressed == 1


def test_a_suppression_of_sffi030_itself_is_honoured(tmp_path):
    text = "extern fn rt_a() -> i64  # sffi: ignore[SFFI001, SFFI030]\nfn f():\n    rt_a()\n"
    r = model_check(tmp_path, {"a.spl": text}, builtins={"rt_a"})
    assert not codes(r, "SFFI030")


def test_suppression_edit_appends_or_extends(tmp_path):
    text = "extern fn rt_x() -> i64\nextern fn rt_y() -> i64  # sffi: ignore[SFFI012]\nfn f():\n    rt_q()\n"
    r = model_check(tmp_path, {"a.spl": text})
    x = next(f for f in r.findings if f.symbol == "rt_x" and f.code == "SFFI001")
    y = next(f for f in r.findings if f.symbol == "rt_y" and f.code == "SFFI001")
    assert apply_edits(text, [suppression_edit(text, x)]).splitlines()[0] == "extern fn rt_x() -> i64  # sffi: ignore[SFFI001]"
    assert apply_edits(text, [suppression_edit(text, y)]).splitlines()[1] == \
        "extern fn rt_y() -> i64  # sffi: ignore[SFFI012, SFFI001]"
