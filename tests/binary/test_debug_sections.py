"""The in-process "has no DWARF" test agrees with the DWARF worker (the oracle) on real gcc-built
libraries: with debug information, stripped, with a `.gnu_debuglink` file present and missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sffi_lsp.binary import ExportIndex
from sffi_lsp.binary.debug_sections import NO_DEBUGLINK_FILE, NO_DWARF, dwarf_absence
from sffi_lsp.binary.dwarf import read_signatures
from sffi_lsp.binary.elf import open_image

GCC = shutil.which("gcc")
OBJCOPY = shutil.which("objcopy")
pytestmark = pytest.mark.skipif(not (GCC and OBJCOPY), reason="gcc and objcopy (binutils) are needed")

SOURCE = "int dbg_add(int a, int b) { return a + b; }\n"


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("debug-sections")
    (d / "dbg.c").write_text(SOURCE)
    out = {}
    full = d / "libdbg_full.so"
    subprocess.run([GCC, "-shared", "-fPIC", "-g", "-o", str(full), str(d / "dbg.c")], check=True)
    out["full"] = full
    stripped = d / "libdbg_stripped.so"
    subprocess.run([OBJCOPY, "--strip-debug", str(full), str(stripped)], check=True)
    out["stripped"] = stripped
    # split debug: the debug file kept beside the library (found) / removed (not found)
    for kind in ("linked", "lost"):
        sub = d / kind
        sub.mkdir()
        lib = sub / f"libdbg_{kind}.so"
        dbg = sub / f"libdbg_{kind}.debug"
        subprocess.run([OBJCOPY, "--only-keep-debug", str(full), str(dbg)], check=True)
        subprocess.run([OBJCOPY, "--strip-debug", f"--add-gnu-debuglink={dbg}", str(full), str(lib)],
                       check=True, cwd=sub)
        if kind == "lost":
            dbg.unlink()
        out[kind] = lib
    return out


def _absence(path: Path) -> str | None:
    img, problem, _st = open_image(str(path))
    assert img is not None and problem is None
    try:
        return dwarf_absence(img)
    finally:
        img.close()


@pytest.mark.parametrize("kind, expected", [("full", None), ("stripped", NO_DWARF), ("linked", None),
                                            ("lost", NO_DEBUGLINK_FILE)])
def test_absence_agrees_with_the_worker(variants: dict[str, Path], kind: str, expected: str | None) -> None:
    path = variants[kind]
    assert _absence(path) == expected
    worker = read_signatures({"dbg_add": (str(path), -1)})["dbg_add"]
    if expected is None:  # the worker reads DWARF there: a real signature
        assert worker.text() == "int dbg_add(int a, int b)"
    else:
        assert worker.reason == expected


def test_index_answers_a_stripped_library_without_a_worker(variants: dict[str, Path]) -> None:
    ix = ExportIndex(ld_library_path=[])
    try:
        lib = ix.library(str(variants["stripped"]))
        got = ix.signatures(lib, ["dbg_add"])["dbg_add"]
        assert got.reason == NO_DWARF
        assert ix._worker is None  # no worker process was started for it
        assert ix.compile_units(lib) == []
        lib_full = ix.library(str(variants["full"]))
        assert ix.signatures(lib_full, ["dbg_add"])["dbg_add"].text() == "int dbg_add(int a, int b)"
        assert ix._worker is not None
        units = ix.compile_units(lib_full)
        assert any(name.endswith("dbg.c") for name, _dir in units)
    finally:
        ix.close()
