"""The index made on first use (`DeferredIndex`): the same answers as a real `ExportIndex`,
without loading the ELF layer when no library can answer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sffi_lsp.binary import ExportIndex
from sffi_lsp.binary.loader import _MULTIARCH, default_dirs
from sffi_lsp.binary.ldcache import DEFAULT_CACHE
from sffi_lsp.binary.types import Target
from sffi_lsp.check.providers import listings as providers_module
from sffi_lsp.check.providers import DeferredIndex, Providers, index_for_config
from sffi_lsp.check.types import ResolutionStatus as S
from sffi_lsp.config_types import Config

NAMES = ["rt_demo_ping", "rt_demo_nothing", "rt_other_thing", "rt_json_parse", "plain_name", "rt_x_y", "cos"]


def _both(native: dict, tmp_path: Path, monkeypatch, **kw) -> tuple[Providers, Providers]:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    kw.setdefault("manifest", None)
    cfg = Config(root=str(root), cache_dir=None, **kw)
    deferred = index_for_config(cfg)
    assert isinstance(deferred, DeferredIndex)
    return Providers.from_config(cfg, ExportIndex()), Providers.from_config(cfg, deferred)


def test_default_dirs_cover_every_known_target() -> None:
    """The directory list `cannot_find` reads is a superset of what the loader searches."""
    for machine, elf_class in _MULTIARCH:
        dirs = default_dirs(Target(elf_class, True, machine))
        assert set(dirs) <= set(providers_module.ANY_DEFAULT_DIRS), dirs
    assert providers_module.LD_CACHE == DEFAULT_CACHE


def test_same_resolutions_as_a_real_index(native: dict, tmp_path: Path, monkeypatch) -> None:
    # A satellite in $SIMPLE_SFFI_PATH, one found only by the system loader (LD_LIBRARY_PATH),
    # and names no satellite answers.
    ld_dir = tmp_path / "ld"
    ld_dir.mkdir()
    shutil.copy(native["libspl_demo"], ld_dir / "libspl_other.so")  # exports rt_demo_ping only
    monkeypatch.setenv("LD_LIBRARY_PATH", str(ld_dir))
    for sat in ((str(native["sat"]),), ()):
        real, deferred = _both(native, tmp_path, monkeypatch, satellite_paths=sat)
        want = real.resolve_many(NAMES)
        got = deferred.resolve_many(NAMES)
        assert got == want
        assert [s.library for s in real.dynamic_steps(names=NAMES)] == \
               [s.library for s in deferred.dynamic_steps(names=NAMES)]
    # the LD_LIBRARY_PATH satellite was found through the real index: it answers for rt_other_*
    step = deferred._satellite_step("other")
    assert step is not None and step.library.path == os.path.realpath(ld_dir / "libspl_other.so")
    assert deferred.resolve("rt_json_parse").status is S.UNRESOLVED


def test_nothing_elf_is_loaded_without_libraries(tmp_path: Path) -> None:
    """A tree whose externs no library answers: the binary layer, hashlib and pickle stay out."""
    src = tmp_path / "tree"
    src.mkdir()
    (src / "a.spl").write_text("extern fn rt_json_parse(s: text) -> i64\nextern fn plain(a: i64)\n"
                               "fn main():\n    rt_json_parse(\"x\")\n    plain(1, 2)\n")
    # The parser's own imports (the syntax layer's business) are taken as given.
    code = (
        "import sys, io, contextlib\n"
        "import sffi_lsp.syntax\n"
        "before = set(sys.modules)\n"
        "from sffi_lsp.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    rc = main(['--no-cache', '--exit-zero', '--output-format', 'json', {str(src)!r}])\n"
        "new = set(sys.modules) - before\n"
        "bad = sorted(m for m in new if m.startswith('sffi_lsp.binary.') and m != 'sffi_lsp.binary.types'"
        " or m in ('hashlib', 'pickle', 'tempfile', 'json', 'sffi_lsp.check.answers', 'sffi_lsp.sdn', 'lark'))\n"
        "print(rc, out.getvalue().count('SFFI001'), bad)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMPLE_", "LD_"))}
    env["HOME"] = str(tmp_path)  # no ~/.simple/plugins/manifest.sdn
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    rc, unresolved, bad = proc.stdout.split(" ", 2)
    assert rc == "0" and int(unresolved) >= 2
    assert bad.strip() == "[]", bad


def test_stale_when_a_skipped_library_appears(tmp_path: Path, native: dict, monkeypatch) -> None:
    """A load attempt skipped by `cannot_find` is watched like the index watches its own."""
    ld_dir = tmp_path / "ld"
    ld_dir.mkdir()
    monkeypatch.setenv("LD_LIBRARY_PATH", str(ld_dir))
    real, deferred = _both(native, tmp_path, monkeypatch, satellite_paths=())
    for p in (real, deferred):
        assert p.resolve("rt_late_ping").status is S.UNRESOLVED
        assert not p.stale()
    time.sleep(0.01)
    shutil.copy(native["libspl_demo"], ld_dir / "libspl_late.so")
    assert real.stale() and deferred.stale()


@pytest.mark.parametrize("name", ["", "dir/libx.so"])
def test_cannot_find_only_judges_bare_names(name: str) -> None:
    assert DeferredIndex().cannot_find(name) is False


def test_forwards_to_a_real_index_made_once(native: dict) -> None:
    import copy

    deferred = DeferredIndex()
    assert deferred._real is None
    lib = deferred.library(str(native["libbeta"]))  # forwarded: the real index is made now
    assert lib.loadable and isinstance(deferred._real, ExportIndex)
    real = deferred._real
    assert deferred.lookup(lib, ["beta_only"])["beta_only"].symbol.name == "beta_only"
    assert deferred._real is real and deferred.target == real.target
    with pytest.raises(AttributeError):
        deferred._no_such_private_name  # noqa: B018
    copy.copy(deferred)  # no recursion through __getattr__ on a half-made copy
