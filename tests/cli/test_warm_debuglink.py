"""A library whose `.gnu_debuglink` file is not installed (every Debian system library) no longer
makes a run "unsettled": its findings are stored and reused, and installing the debug file is
seen (the answers' fingerprint watches the places the file would be found)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest


GCC = shutil.which("gcc")
OBJCOPY = shutil.which("objcopy")
pytestmark = pytest.mark.skipif(not (GCC and OBJCOPY), reason="gcc and objcopy (binutils) are needed")

# declared with the wrong types: only DWARF can tell (SFFI signature mismatch)
SRC = "extern fn dl_add(a: f64, b: f64) -> f64\n\nfn main():\n    dl_add(1.0, 2.0)\n"


def check(sffi, tree: Path) -> tuple[str, bool]:
    """(json output, whether the stored result was reused), asserting it equals a --no-cache run."""
    results = tree / ".sffi_cache" / "results.pickle"
    before = results.stat().st_mtime_ns if results.exists() else None
    warm = sffi("--output-format", "json", "--exit-zero", cwd=tree)
    truth = sffi("--output-format", "json", "--exit-zero", "--no-cache", cwd=tree)
    assert warm.code == truth.code == 0, warm.err + truth.err
    assert warm.out == truth.out
    after = results.stat().st_mtime_ns if results.exists() else None
    return warm.out, before is not None and before == after


def _codes(out: str) -> list[str]:
    return sorted(f["code"] for f in json.loads(out)["diagnostics"])


def test_missing_debuglink_file_is_settled_and_its_arrival_seen(tmp_path: Path, sffi) -> None:
    lib_dir = tmp_path / "lib"
    lib_dir.mkdir()
    c = tmp_path / "dl.c"
    c.write_text("int dl_add(int a, int b) { return a + b; }\n")
    full = tmp_path / "full.so"
    subprocess.run([GCC, "-shared", "-fPIC", "-g", "-o", str(full), str(c)], check=True)
    kept = tmp_path / "kept" / "libdl_t.debug"
    kept.parent.mkdir()
    subprocess.run([OBJCOPY, "--only-keep-debug", str(full), str(kept)], check=True)
    lib = lib_dir / "libdl_t.so"
    subprocess.run([OBJCOPY, "--strip-debug", f"--add-gnu-debuglink={kept}", str(full), str(lib)], check=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.spl").write_text(SRC)
    (tmp_path / "sffi.toml").write_text(f'[[libraries]]\npath = "{lib}"\n')

    out, reused = check(sffi, tmp_path)
    assert not reused
    without = _codes(out)
    out, reused = check(sffi, tmp_path)
    assert reused, "a debug-link file not found must not keep every run from being stored"
    assert _codes(out) == without

    shutil.copy(kept, lib_dir / kept.name)  # the debug file installed beside the library
    out, reused = check(sffi, tmp_path)  # (check compares with a --no-cache run: the truth)
    assert not reused
    assert _codes(out) != without, (without, out)  # DWARF now tells the declared types are wrong
