"""The engine as the language server uses it: a long-lived Workspace edited file by file."""

from __future__ import annotations

from check_helpers import BuiltinOnlyProviders, parse_source

from sffi_lsp.check.engine import Workspace, check, selected_rules
from sffi_lsp.config_types import Config, RuleSettings


def test_set_and_remove_files_update_cross_file_findings(tmp_path):
    a, b = str(tmp_path / "a.spl"), str(tmp_path / "b.spl")
    cfg = Config(root=str(tmp_path))
    providers = BuiltinOnlyProviders({"rt_size"})
    ws = Workspace(roots=[str(tmp_path)])
    ws.set_file(parse_source("extern fn rt_size(p: text) -> i64\nfn f():\n    rt_size(\"x\")\n", a))
    assert not check(ws, providers, cfg).findings
    ws.set_file(parse_source("extern fn rt_size(p: text) -> i32\n", b))
    r = check(ws, providers, cfg)
    assert {(f.code, f.path) for f in r.findings} == {("SFFI009", a), ("SFFI009", b)}
    only_b = check(ws, providers, cfg, only_paths=[b])
    assert {f.path for f in only_b.findings} == {b}
    ws.remove_file(b)
    assert not check(ws, providers, cfg).findings
    # An edit that removes the only call makes the extern unused.
    ws.set_file(parse_source("extern fn rt_size(p: text) -> i64\n", a))
    assert [f.code for f in check(ws, providers, cfg).findings] == ["SFFI012"]
    assert len(ws) == 1 and a in ws


def test_resolutions_are_reported_per_declaration_and_by_name(tmp_path):
    a = str(tmp_path / "a.spl")
    ws = Workspace([parse_source("extern fn rt_yes()\nextern fn rt_no()\n", a)])
    r = check(ws, BuiltinOnlyProviders({"rt_yes"}), Config(root=str(tmp_path)))
    assert r.by_decl[(a, "rt_yes")].resolved and not r.by_decl[(a, "rt_no")].resolved
    assert set(r.resolutions) == {"rt_yes", "rt_no"}


def test_selection_semantics():
    def codes(**kw):
        return [r.code for r in selected_rules(Config(root="/", rules=RuleSettings(**kw)))]

    default = codes()
    assert "SFFI017" not in default and "SFFI001" in default
    assert codes(select=("SFFI01",)) == [c for c in sorted(default + ["SFFI017"]) if c.startswith("SFFI01")]
    assert "SFFI017" in codes(extend_select=("extern-naming",))
    assert "SFFI001" not in codes(ignore=("unresolved-extern",))
    from sffi_lsp.check.rules import ALL_RULES

    opt_in = [r.code for r in ALL_RULES if not r.default_enabled]  # SFFI017, SFFI025
    assert len(codes(select=("ALL",))) == len(default) + len(opt_in)
