"""Rules that depend on real libraries: gcc-built .so files, the real config
loader, the real providers and ELF index, the real parser."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from check_helpers import parse_source
from sffi_lsp.check.engine import Workspace, check
from sffi_lsp.check.types import ProviderKind, Severity


def run_project(root: Path, files: dict[str, str], toml: str):
    """Write a project (sources + sffi.toml) and check it the way the CLI does."""
    from sffi_lsp.check.providers import Providers, index_for_config
    from sffi_lsp.config import load_config

    root.mkdir(parents=True, exist_ok=True)
    (root / "sffi.toml").write_text(textwrap.dedent(toml))
    sources = []
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
        sources.append(parse_source(p.read_text(), str(p)))
    config = load_config(paths=[str(root)], env={"HOME": str(root), "PATH": "/usr/bin:/bin"})
    providers = Providers.from_config(config, index_for_config(config))
    return check(Workspace(sources, roots=[str(root)]), providers, config)


def by(result, code):
    return [f for f in result.findings if f.code == code]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines()) if needle in line)


CALLS = "fn main():\n    {}\n"


def test_unresolved_suggests_real_exports(tmp_path, libs):
    r = run_project(
        tmp_path,
        {"a.spl": "extern fn rt_demo_ad(a: i64, b: i64) -> i64\nextern fn rt_demo_add(a: i64, b: i64) -> i64\n"},
        f'libraries = ["{libs["demo"]}"]\n',
    )
    [f] = by(r, "SFFI001")
    assert f.symbol == "rt_demo_ad" and f.severity is Severity.ERROR
    assert f.suggestions[0] == "rt_demo_add"
    assert r.by_decl[(str(tmp_path / "a.spl"), "rt_demo_add")].resolved


@pytest.mark.parametrize(
    "key, reason_word",
    [("script", "linker script"), ("broken", "libsffigone.so"), ("wrong", "AArch64"), ("dir", "directory")],
)
def test_library_not_loadable_reported_on_config_line(tmp_path, libs, key, reason_word):
    toml = f'# project\n[[libraries]]\npath = "{libs["demo"]}"\n\n[[libraries]]\npath = "{libs[key]}"\n'
    r = run_project(tmp_path, {"a.spl": "extern fn rt_demo_add(a: i64, b: i64) -> i64\n"}, toml)
    [f] = by(r, "SFFI002")
    assert f.path == str(tmp_path / "sffi.toml")
    assert f.span.start_line in (line_of(tmp_path / "sffi.toml", str(libs[key])), line_of(tmp_path / "sffi.toml", str(libs[key])) - 1)
    assert reason_word in f.message


def test_library_not_loadable_outside_tree_goes_on_affected_extern(tmp_path, libs):
    # The config sits above the checked directory: the finding goes on the source.
    (tmp_path / "src").mkdir()
    from sffi_lsp.check.providers import Providers, index_for_config
    from sffi_lsp.config import load_config

    (tmp_path / "sffi.toml").write_text(f'libraries = ["{libs["broken"]}"]\n')
    src = tmp_path / "src" / "a.spl"
    src.write_text("extern fn rt_broken_call() -> i32\nextern fn rt_other() -> i64\n")
    config = load_config(paths=[str(tmp_path / "src")], env={"HOME": str(tmp_path)})
    providers = Providers.from_config(config, index_for_config(config))
    r = check(Workspace([parse_source(src.read_text(), str(src))], roots=[str(tmp_path / "src")]), providers, config)
    [f] = by(r, "SFFI002")
    assert f.path == str(src) and f.span.start_line == 0 and f.symbol == "rt_broken_call"
    assert "missing-dependency" in f.related[0].message


def test_data_symbol_is_not_a_function(tmp_path, libs):
    r = run_project(tmp_path, {"a.spl": "extern fn rt_demo_counter() -> i64\n"}, f'libraries = ["{libs["demo"]}"]\n')
    [f] = by(r, "SFFI003")
    assert "data" in f.message and "libsffidemo.so" in f.message
    assert not by(r, "SFFI001")


def test_compat_only_version(tmp_path, libs):
    r = run_project(tmp_path, {"a.spl": "extern fn rt_demo_old() -> i64\n"}, f'libraries = ["{libs["demo"]}"]\n')
    [f] = by(r, "SFFI004")
    assert "DEMO_1.0" in f.message


@pytest.mark.parametrize("linked, severity", [("false", Severity.INFO), ("true", Severity.WARNING)])
def test_provided_via_dependency(tmp_path, libs, linked, severity):
    toml = f'[[libraries]]\npath = "{libs["dep"]}"\nlinked = {linked}\n'
    r = run_project(tmp_path, {"a.spl": "extern fn rt_base_value() -> i64\nextern fn rt_dep_own() -> i64\n"}, toml)
    [f] = by(r, "SFFI005")
    assert f.symbol == "rt_base_value" and f.severity is severity
    assert "libsffibase.so" in f.message
    assert r.by_decl[(str(tmp_path / "a.spl"), "rt_base_value")].resolved


def test_builtin_only_runtime_refuses_library_exports(tmp_path, libs):
    (tmp_path / "builtins.txt").write_text("rt_time_now_ms\n")
    toml = f'runtime-mode = "builtin-only"\nlibraries = ["{libs["demo"]}"]\n[builtins]\nlists = ["builtins.txt"]\n'
    r = run_project(tmp_path, {"a.spl": "extern fn rt_demo_add(a: i64, b: i64) -> i64\nextern fn rt_time_now_ms() -> i64\n"}, toml)
    [f] = by(r, "SFFI006")
    assert f.symbol == "rt_demo_add" and "builtin-only" in f.message and "libsffidemo.so" in f.message
    assert not [x for x in r.findings if x.symbol == "rt_time_now_ms" and x.severity is Severity.ERROR]


def test_unsupported_family(tmp_path, libs):
    toml = '[builtins]\nunsupported-families = ["rt_vulkan_"]\n'
    r = run_project(tmp_path, {"a.spl": "extern fn rt_vulkan_init() -> i64\n"}, toml)
    [f] = by(r, "SFFI007")
    assert "rt_vulkan_" in f.message


def test_signature_mismatch_against_builtin_signature_with_fix(tmp_path, libs):
    (tmp_path / "builtins.txt").write_text("rt_file_exists(path: text) -> bool\n")
    toml = '[builtins]\nlists = ["builtins.txt"]\n'
    r = run_project(tmp_path, {"a.spl": "pub extern fn rt_file_exists(path: text) -> i64\n"}, toml)
    [f] = by(r, "SFFI008")
    assert "bool" in f.message
    edit = f.fixes[0].edits[0]
    assert edit.new_text == "pub extern fn rt_file_exists(path: text) -> bool"
    assert edit.span.start_line == 0 and edit.span.start_column == 0


def test_signature_mismatch_against_dwarf(tmp_path, libs):
    pytest.importorskip("sffi_lsp.binary.dwarf")
    r = run_project(
        tmp_path,
        {"a.spl": "extern fn rt_demo_mul32(a: i64, b: i64) -> f64\nextern fn rt_demo_add(a: i64, b: i64) -> i64\n"},
        f'libraries = ["{libs["demo"]}"]\n',
    )
    [f] = by(r, "SFFI008")
    assert f.symbol == "rt_demo_mul32" and "int32_t" in f.message and "f64" in f.message
    assert f.related and f.related[0].path.endswith("demo.c")
    assert f.fixes and f.fixes[0].edits[0].new_text == "extern fn rt_demo_mul32(a: i32, b: i32) -> i32"


def test_dynamic_path_only_under_dynamic_profile(tmp_path, libs):
    files = {
        "a.spl": "extern fn rt_demo_half(x: f64) -> f64\n"
        "extern fn rt_demo_many(a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64, "
        "a9: i64, a10: i64, a11: i64, a12: i64, a13: i64) -> i64\n"
        "extern fn rt_demo_add(a: i64, b: i64) -> i64\n"
    }
    lib = f'libraries = ["{libs["demo"]}"]\n'
    assert not by(run_project(tmp_path / "n", files, lib), "SFFI013")
    r = run_project(tmp_path / "d", files, 'abi = "dynamic"\n' + lib)
    found = {f.symbol: f.message for f in by(r, "SFFI013")}
    assert set(found) == {"rt_demo_half", "rt_demo_many"}
    assert "float" in found["rt_demo_half"] and "12" in found["rt_demo_many"]


def test_manifest_function_missing_on_manifest_line(tmp_path, libs):
    manifest = (
        "plugins:\n    -\n        name: plug\n"
        f"        library: {libs['plug']}\n"
        '        version: "0.1.0"\n'
        "        functions: [rt_plug_open, rt_plug_missing]\n"
    )
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "manifest.sdn").write_text(manifest)
    r = run_project(
        tmp_path,
        {"a.spl": "extern fn rt_plug_open(x: i64) -> i64\n"},
        '[manifest]\npath = "manifest.sdn"\n',
    )
    [f] = by(r, "SFFI014")
    assert f.symbol == "rt_plug_missing" and f.path == str(tmp_path / "manifest.sdn") and f.span.start_line == 5
    res = r.by_decl[(str(tmp_path / "a.spl"), "rt_plug_open")]
    assert res.resolved and res.provider.kind is ProviderKind.MANIFEST


def test_satellite_library_resolves_by_prefix(tmp_path, libs):
    toml = f'[satellites]\npaths = ["{libs["build_dir"]}"]\n'
    r = run_project(tmp_path, {"a.spl": "extern fn rt_sat_ping(x: i64) -> i64\nextern fn rt_sat_pong() -> i64\n"}, toml)
    res = r.by_decl[(str(tmp_path / "a.spl"), "rt_sat_ping")]
    assert res.resolved and res.provider.kind is ProviderKind.SATELLITE
    assert [f.symbol for f in by(r, "SFFI001")] == ["rt_sat_pong"]


def test_library_with_unresolved_references_is_a_warning(tmp_path, libs):
    r = run_project(tmp_path, {"a.spl": "extern fn rt_unres_fine() -> i64\n"}, f'libraries = ["{libs["unres"]}"]\n')
    [f] = by(r, "SFFI018")
    assert f.severity is Severity.WARNING and "helper_nowhere" in f.message
    assert f.path == str(tmp_path / "sffi.toml")
    assert r.by_decl[(str(tmp_path / "a.spl"), "rt_unres_fine")].resolved
    assert not by(r, "SFFI002")


def test_provider_file_problem_on_builtins_line(tmp_path, libs):
    (tmp_path / "builtins.txt").write_text("rt_ok\nthis is not a name\n")
    r = run_project(tmp_path, {"a.spl": "extern fn rt_ok()\n"}, '[builtins]\nlists = ["builtins.txt"]\n')
    [f] = by(r, "SFFI019")
    assert f.path == str(tmp_path / "builtins.txt") and f.span.start_line == 1


def test_broken_satellite_reported_on_the_externs_it_was_asked_for(tmp_path, libs):
    build = tmp_path / "sat"
    build.mkdir(parents=True)
    (build / "libspl_bad.so").write_text("/* GNU ld script */\nGROUP ( libc.so.6 )\n")
    toml = f'[satellites]\npaths = ["{build}"]\n'
    r = run_project(
        tmp_path / "proj",
        {"a.spl": "extern fn rt_other_y() -> i64\nextern fn rt_bad_x() -> i64\n", "b.spl": "extern fn rt_zzz_q()\n"},
        toml,
    )
    found = by(r, "SFFI002")
    assert [(f.path.rsplit("/", 1)[1], f.symbol) for f in found] == [("a.spl", "rt_bad_x")]
    assert "linker script" in found[0].message and "satellite" in found[0].message


def test_unresolved_references_placed_on_served_extern_when_config_outside_tree(tmp_path, libs):
    from sffi_lsp.check.providers import Providers, index_for_config
    from sffi_lsp.config import load_config

    (tmp_path / "src").mkdir()
    (tmp_path / "sffi.toml").write_text(f'libraries = ["{libs["unres"]}"]\n')
    src = tmp_path / "src" / "a.spl"
    src.write_text("extern fn rt_nothing()\nextern fn rt_unres_fine() -> i64\n")
    config = load_config(paths=[str(tmp_path / "src")], env={"HOME": str(tmp_path)})
    providers = Providers.from_config(config, index_for_config(config))
    r = check(Workspace([parse_source(src.read_text(), str(src))], roots=[str(tmp_path / "src")]), providers, config)
    [f] = by(r, "SFFI018")
    assert f.path == str(src) and f.symbol == "rt_unres_fine"
