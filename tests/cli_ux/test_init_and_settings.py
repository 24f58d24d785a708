"""Items 1, 3 and 8 of issue 12 through the real CLI: `init`, the note when nothing
is configured, project context for given paths, settings flags, pre-commit hook."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

from ux_helpers import REPO, gcc_lib, write

TORCH_C = ("#include <stdint.h>\nint64_t rt_torch_available(void) { return 1; }\n"
           "int64_t rt_torch_add(int64_t a, int64_t b) { return a + b; }\n")
CORE_C = "#include <stdint.h>\nint64_t geo_core(void) { return 1; }\n"
GEO_C = "#include <stdint.h>\nint64_t geo_core(void);\nint64_t rt_geo_area(void) { return geo_core(); }\n"
JSON_C = "#include <stdint.h>\nint64_t rt_json_parse(int64_t x) { return x; }\n"


def torch_project(root: Path) -> None:
    """A cdylib in build/, its tier-2 binding file and a tier-3 user, as the wrapper generator lays them out."""
    (root / "build").mkdir()
    gcc_lib(root / "build" / "libsimple_torch.so", TORCH_C)
    gcc_lib(root / "build" / "libspl_json.so", JSON_C)
    write(root, {
        "src/lib/torch/ffi.spl": "extern fn rt_torch_available() -> i64\nextern fn rt_torch_add(a: i64, b: i64) -> i64\n",
        "src/lib/torch/mod.spl": "use lib.torch.ffi.*\nfn add(a: i64, b: i64) -> i64:\n    rt_torch_add(a, b)\n"
                                 "fn ready() -> i64:\n    rt_torch_available()\n",
        "src/app/main.spl": "extern fn rt_json_parse(x: i64) -> i64\nfn main():\n    rt_json_parse(1)\n",
    })


def test_init_writes_a_config_that_finds_the_libraries(tmp_path, sffi):
    torch_project(tmp_path)
    before = sffi(".", "--output-format", "json")
    assert before.code == 1 and "sffi-check init" in before.err  # nothing configured: said once
    assert before.err.count("no configuration") == 1
    r = sffi("init")
    assert r.code == 0 and "wrote" in r.err
    text = (tmp_path / "sffi.toml").read_text()
    config = tomllib.loads(text)
    assert {"path": "build/libsimple_torch.so"} in config["libraries"]
    assert config["satellites"]["paths"] == ["build"] and "libspl_json.so" in text
    assert text.count("#") > 5  # commented
    after = sffi(".", "--output-format", "json")
    assert after.code == 0, after.out
    assert all(e["resolved"] for e in json.loads(after.out)["externs"])
    assert "no configuration" not in after.err
    # refuses to overwrite; --force does; --stdout only shows
    (tmp_path / "sffi.toml").write_text("# mine\n")
    again = sffi("init")
    assert again.code == 2 and "--force" in again.err and (tmp_path / "sffi.toml").read_text() == "# mine\n"
    shown = sffi("init", "--stdout")
    assert shown.code == 0 and "[[libraries]]" in shown.out and (tmp_path / "sffi.toml").read_text() == "# mine\n"
    assert sffi("init", "--force").code == 0 and "[[libraries]]" in (tmp_path / "sffi.toml").read_text()


def test_init_finds_objects_archives_manifest_search_paths_and_a_simple_checkout(tmp_path, sffi):
    (tmp_path / "simple" / "src" / "compiler_rust").mkdir(parents=True)
    proj = tmp_path / "simple" / "examples" / "demo"
    (proj / "out").mkdir(parents=True)
    gcc_lib(proj / "out" / "libgeo_core.so", CORE_C)
    gcc_lib(proj / "out" / "libgeo.so", GEO_C, f"-L{proj / 'out'}", "-lgeo_core")
    (proj / "arch").mkdir()
    src = proj / "arch" / "port.c"
    src.write_text("long rt_port_outb(long p, long v) { return p + v; }\n")
    subprocess.run(["gcc", "-c", str(src), "-o", str(proj / "arch" / "port.o")], check=True)
    subprocess.run(["ar", "rcs", str(proj / "arch" / "libboot.a"), str(proj / "arch" / "port.o")], check=True)
    write(proj, {"plugins/manifest.sdn": "plugins:\n  demo:\n    library: \"out/libgeo.so\"\n",
                 "target/debug/deps/libgeo-0123abcd.so": "not a library: a hashed cargo copy",
                 "a.spl": "extern fn rt_geo_area() -> i64\nfn f():\n    rt_geo_area()\n"})
    r = sffi("init", "--stdout", cwd=proj)
    assert r.code == 0
    config = tomllib.loads(r.out)
    paths = [lib["path"] for lib in config["libraries"]]
    assert "out/libgeo.so" in paths and "out/libgeo_core.so" in paths
    assert "arch/port.o" in paths and "arch/libboot.a" in paths
    assert config["search-paths"] == ["out"]  # libgeo.so's DT_NEEDED neighbour is found
    assert config["manifest"]["path"] == "plugins/manifest.sdn"
    assert f"Simple checkout: {tmp_path / 'simple'}" in r.out
    assert "deps" not in r.out


def test_project_context_for_given_paths(tmp_path, sffi):
    """Checking one binding file gives what checking the tree says about it (no false
    "never called"), and only that file's findings."""
    torch_project(tmp_path)
    assert sffi("init").code == 0
    write(tmp_path, {"src/lib/torch/ffi.spl": (tmp_path / "src/lib/torch/ffi.spl").read_text()
                     + "extern fn rt_torch_gone() -> i64\n"})
    whole = json.loads(sffi(".", "--output-format", "json").out)["diagnostics"]
    one = sffi("src/lib/torch/ffi.spl", "--output-format", "json")
    got = json.loads(one.out)
    assert got["diagnostics"] == [d for d in whole if d["path"] == "src/lib/torch/ffi.spl"]
    assert not any(d["code"] == "SFFI012" and "rt_torch_add" in d["message"] for d in got["diagnostics"])
    assert {e["path"] for e in got["externs"]} == {"src/lib/torch/ffi.spl"}
    # warm (the result cache) answers the same
    assert json.loads(sffi("src/lib/torch/ffi.spl", "--output-format", "json").out) == got


def test_config_overrides_isolated_show_settings_and_files(tmp_path, sffi):
    torch_project(tmp_path)
    write(tmp_path, {"sffi.toml": '[[libraries]]\npath = "build/libsimple_torch.so"\n[rules]\nignore = ["SFFI012"]\n',
                     "src/lib/other.spl": "extern fn rt_other() -> i64\n"})
    r = sffi("--show-settings")
    assert r.code == 0 and 'rules.ignore = ["SFFI012"]' in r.out and "[[libraries]]" in r.out
    tomllib.loads(r.out)  # it is TOML
    r = sffi("--show-settings", "--config", 'rules.ignore = ["SFFI001"]', "--config", "runtime-mode = 'builtin-only'")
    assert 'rules.ignore = ["SFFI001"]' in r.out and 'runtime-mode = "builtin-only"' in r.out
    r = sffi(".", "--output-format", "json", "--config", "rules.select = ['SFFI012']", "--config", "rules.ignore = []")
    assert {(d["code"], d["path"]) for d in json.loads(r.out)["diagnostics"]} == {("SFFI012", "src/lib/other.spl")}
    bad = sffi(".", "--config", "rules.selct = ['SFFI012']")
    assert bad.code == 2 and "rules.select" in bad.err and "Traceback" not in bad.err
    bad = sffi(".", "--config", "runtime-mode = builtin-only")
    assert bad.code == 2 and "quotes" in bad.err
    iso = sffi("--show-settings", "--isolated")
    assert "configuration file: none" in iso.out and "[[libraries]]" not in iso.out
    files = sffi("--show-files").out.splitlines()
    assert files == sorted(["src/app/main.spl", "src/lib/other.spl", "src/lib/torch/ffi.spl", "src/lib/torch/mod.spl"])


def test_pre_commit_hook_definition():
    """One hook, `sffi-check` on .spl files (read as the flat YAML mapping it is: no YAML library here)."""
    hooks: list[dict[str, str]] = []
    for line in (REPO / ".pre-commit-hooks.yaml").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("- "):
            hooks.append({})
            line = line[2:]
        key, _, value = line.strip().partition(":")
        hooks[-1][key.strip()] = value.strip()
    [hook] = hooks
    assert hook["id"] == "sffi-check" and hook["entry"] == "sffi-check" and hook["language"] == "python"
    assert hook["files"] == r"\.spl$" and hook["require_serial"] == "true"
