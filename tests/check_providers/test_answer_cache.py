"""Provider answers kept between runs: reused when nothing changed, never when something did.

Each "run" is a fresh ExportIndex and Providers (as a new sffi-check process would have),
sharing only the answers file. Libraries are real, built by gcc here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from sffi_lsp.binary import ExportIndex
from sffi_lsp.check.providers import Providers
from sffi_lsp.check.types import ResolutionStatus as S
from sffi_lsp.config_types import Config, LibrarySpec

from .conftest import GCC

pytestmark = pytest.mark.skipif(GCC is None, reason="gcc is needed")


def cc(out: Path, source: str, *extra: str) -> None:
    """Build a shared object at `out` (through a temp file: a fresh inode, as build tools do)."""
    src = out.with_suffix(f".{time.monotonic_ns()}.c")
    src.write_text(source)
    tmp = out.with_name(out.name + ".tmp")
    subprocess.run([GCC, "-shared", "-fPIC", "-O0", "-o", str(tmp), str(src), *extra], check=True)
    os.replace(tmp, out)


def cc_in_place(out: Path, source: str, *extra: str) -> None:
    """Rebuild and copy over the existing file: same inode, same directory listing."""
    tmp = out.with_name("rebuilt-" + out.name)
    cc(tmp, source, *extra)
    time.sleep(0.01)  # a distinct mtime even on coarse clocks
    shutil.copyfile(tmp, out)
    tmp.unlink()


@pytest.fixture
def proj(tmp_path: Path) -> dict:
    lib, sat, empty = tmp_path / "lib", tmp_path / "sat", tmp_path / "empty"
    for d in (lib, sat, empty):
        d.mkdir()
    cc(lib / "liby.so", "int y_dep(void) { return 1; }\n")
    cc(lib / "libx.so", "int y_dep(void);\nint x_one(void) { return y_dep(); }\n",
       f"-L{lib}", "-ly", f"-Wl,-rpath,{lib}")
    cc(sat / "libspl_demo.so", "long rt_demo_ping(void) { return 1; }\n")
    cc(lib / "libplug.so", "long rt_plug_a(void) { return 1; }\nlong rt_plug_b(void) { return 2; }\n")
    builtins = tmp_path / "builtins.txt"
    builtins.write_text("rt_time_now\n")
    manifest = tmp_path / "manifest.sdn"
    write_manifest(manifest, lib / "libplug.so", "rt_plug_a")
    root = tmp_path / "root"
    root.mkdir()
    return {"tmp": tmp_path, "lib": lib, "sat": sat, "empty": empty, "builtins": builtins,
            "manifest": manifest, "root": root, "answers": str(tmp_path / "cache" / "providers.json")}


def write_manifest(path: Path, library: Path, functions: str) -> None:
    path.write_text(f"plugins:\n    -\n        name: plug\n        library: {library}\n"
                    f"        functions: [{functions}]\n")


def run(proj: dict, **kw) -> Providers:
    """A new process's providers: fresh index, the answers file shared."""
    kw.setdefault("libraries", (LibrarySpec(str(proj["lib"] / "libx.so"), origin="sffi.toml:3"),))
    kw.setdefault("satellite_paths", (str(proj["sat"]),))
    kw.setdefault("builtin_lists", (str(proj["builtins"]),))
    kw.setdefault("manifest", str(proj["manifest"]))
    cfg = Config(root=str(proj["root"]), cache_dir=None, **kw)
    return Providers(cfg, ExportIndex(), answers_file=proj["answers"])


NAMES = ["x_one", "x_two", "y_dep", "y_new", "rt_demo_ping", "rt_demo_pong", "rt_fresh_fn", "rt_plug_a",
         "rt_plug_b", "rt_time_now", "nothing_here"]


def answers(p: Providers) -> dict:
    return p.resolve_many(NAMES)


def finish(p: Providers) -> None:
    p.suggest("x_onr")
    p.suggest("rt_time_nwo")
    p.save_answers()


def no_recompute(p: Providers, monkeypatch) -> None:
    def boom(*_a, **_k):
        raise AssertionError("answers were recomputed")

    monkeypatch.setattr(p, "_resolve_dynamic", boom)
    monkeypatch.setattr(p, "candidate_names", boom)


def test_unchanged_inputs_reuse_answers(proj: dict, monkeypatch) -> None:
    first = run(proj)
    before = answers(first)
    sugg = (first.suggest("x_onr"), first.suggest("rt_time_nwo"))
    first.save_answers()
    assert before["x_one"].status is S.RESOLVED and before["x_two"].status is S.UNRESOLVED
    assert before["y_dep"].provider.via  # through the dependency
    assert sugg[0] == ["x_one"]

    second = run(proj)
    assert second.fingerprint() == first.fingerprint()
    no_recompute(second, monkeypatch)
    again = answers(second)
    assert again == before
    assert again["x_one"].library is second.library_steps[0].library  # the live Library object
    assert (second.suggest("x_onr"), second.suggest("rt_time_nwo")) == sugg
    assert second.answers_loaded and second._answers.hits > 0


def _changed(proj: dict, change, **kw) -> tuple[dict, dict]:
    first = run(proj, **kw)
    before = answers(first)
    finish(first)
    change()
    second = run(proj, **kw)
    after = answers(second)
    fresh = Providers(second.config, ExportIndex())  # no answers file: the truth
    assert after == fresh.resolve_many(NAMES)
    assert second.suggest("x_onr") == fresh.suggest("x_onr")
    assert second.suggest("rt_time_nwo") == fresh.suggest("rt_time_nwo")
    return before, after


def test_rebuilt_library_new_inode(proj: dict) -> None:
    so = proj["lib"] / "libx.so"
    src = "int y_dep(void);\nint x_one(void) { return y_dep(); }\nint x_two(void) { return 2; }\n"
    before, after = _changed(proj, lambda: cc(so, src, f"-L{proj['lib']}", "-ly", f"-Wl,-rpath,{proj['lib']}"))
    assert before["x_two"].status is S.UNRESOLVED and after["x_two"].status is S.RESOLVED


def test_rebuilt_library_in_place(proj: dict) -> None:
    so = proj["lib"] / "libx.so"
    src = "int y_dep(void);\nint x_one(void) { return y_dep(); }\nint x_two(void) { return 2; }\n"
    ino = so.stat().st_ino
    before, after = _changed(proj, lambda: cc_in_place(so, src, f"-L{proj['lib']}", "-ly",
                                                       f"-Wl,-rpath,{proj['lib']}"))
    assert so.stat().st_ino == ino
    assert before["x_two"].status is S.UNRESOLVED and after["x_two"].status is S.RESOLVED


def test_rebuilt_dependency_in_place(proj: dict) -> None:
    dep = proj["lib"] / "liby.so"
    before, after = _changed(proj, lambda: cc_in_place(dep, "int y_dep(void) { return 1; }\nint y_new(void) "
                                                            "{ return 3; }\n"))
    assert before["y_new"].status is S.UNRESOLVED and after["y_new"].status is S.RESOLVED
    assert after["y_new"].provider.via


def test_new_satellite_appears(proj: dict) -> None:
    before, after = _changed(proj, lambda: cc(proj["sat"] / "libspl_fresh.so", "long rt_fresh_fn(void) { return 1; }\n"))
    assert before["rt_fresh_fn"].status is S.UNRESOLVED
    assert after["rt_fresh_fn"].status is S.RESOLVED and after["rt_fresh_fn"].provider.kind.value == "satellite"


def test_satellite_rebuilt_in_place(proj: dict) -> None:
    sat = proj["sat"] / "libspl_demo.so"
    before, after = _changed(proj, lambda: cc_in_place(sat, "long rt_demo_ping(void) { return 1; }\n"
                                                            "long rt_demo_pong(void) { return 2; }\n"))
    assert before["rt_demo_pong"].status is S.UNRESOLVED and after["rt_demo_pong"].status is S.RESOLVED


def test_edited_builtins_list_changes_suggestions(proj: dict) -> None:
    first = run(proj)
    assert first.suggest("rt_clok_now") == []
    first.save_answers()
    time.sleep(0.01)
    proj["builtins"].write_text("rt_time_now\nrt_clock_now\n")
    second = run(proj)
    assert second.suggest("rt_clok_now") == ["rt_clock_now"]


def test_edited_manifest(proj: dict) -> None:
    before, after = _changed(proj, lambda: (time.sleep(0.01),
                                            write_manifest(proj["manifest"], proj["lib"] / "libplug.so",
                                                           "rt_plug_a, rt_plug_b")))
    assert before["rt_plug_b"].status is S.UNRESOLVED
    assert after["rt_plug_b"].status is S.RESOLVED and after["rt_plug_b"].provider.kind.value == "manifest"


def test_changed_configuration(proj: dict) -> None:
    first = run(proj)
    assert answers(first)["x_one"].status is S.RESOLVED
    finish(first)
    second = run(proj, runtime_mode="builtin-only")
    assert answers(second)["x_one"].status is S.REFUSED_BUILTIN_ONLY
    finish(second)
    third = run(proj, libraries=())
    assert answers(third)["x_one"].status is S.UNRESOLVED


def test_library_search_environment(proj: dict, monkeypatch) -> None:
    env_dir = proj["tmp"] / "envlib"
    env_dir.mkdir()
    cc(env_dir / "libspl_envsat.so", "long rt_envsat_go(void) { return 1; }\n")
    monkeypatch.setenv("LD_LIBRARY_PATH", str(proj["empty"]))
    first = run(proj)
    assert first.resolve("rt_envsat_go").status is S.UNRESOLVED
    finish(first)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(env_dir))
    second = run(proj)
    assert second.resolve("rt_envsat_go").status is S.RESOLVED


def test_missing_dependency_installed_later(proj: dict) -> None:
    """A library that cannot be loaded (missing dependency) becomes loadable: answers follow."""
    lib = proj["lib"]
    cc(lib / "libz1.so", "int z_dep(void) { return 1; }\n")
    cc(lib / "libneedy.so", "int z_dep(void);\nint needy_fn(void) { return z_dep(); }\n",
       f"-L{lib}", "-lz1", f"-Wl,-rpath,{lib}")
    (lib / "libz1.so").rename(proj["tmp"] / "libz1.so.away")
    libs = (LibrarySpec(str(lib / "libneedy.so"), origin="sffi.toml:3"),)
    first = run(proj, libraries=libs)
    assert first.resolve("needy_fn").status is S.UNRESOLVED
    finish(first)
    (proj["tmp"] / "libz1.so.away").rename(lib / "libz1.so")
    second = run(proj, libraries=libs)
    assert second.resolve("needy_fn").status is S.RESOLVED


@pytest.mark.parametrize("content", [
    b"",
    b"{not json",
    b'{"format": "sffi-provider-answers-1", "fingerprint": "x"}',
    None,  # the right fingerprint, malformed entries
])
def test_corrupt_answers_file_is_a_miss(proj: dict, content: bytes | None) -> None:
    first = run(proj)
    truth = answers(first)
    finish(first)
    path = Path(proj["answers"])
    if content is None:
        data = json.loads(path.read_text())
        data["resolutions"] = {n: [n, "resolved", ["bogus"], None, 99, "x", 3] for n in data["resolutions"]}
        data["suggestions"] = {k: [1, 2] for k in data["suggestions"]}
        path.write_text(json.dumps(data))
    else:
        path.write_bytes(content)
    second = run(proj)
    assert answers(second) == truth
    assert second.suggest("x_onr") == ["x_one"]
    second.save_answers()
    assert run(proj).answers_loaded  # rewritten
