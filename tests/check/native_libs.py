"""Real shared libraries for the checker tests, built by gcc once per session.

Each library shows one situation the rules must recognise; `build_libs(dir)`
returns their paths. The C sources are tiny so the whole set builds in about
a second even on two cores (compiles run in parallel).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

DEMO_C = r"""
#include <stdint.h>
int64_t rt_demo_add(int64_t a, int64_t b) { return a + b; }
int32_t rt_demo_mul32(int32_t a, int32_t b) { return a * b; }
double rt_demo_half(double x) { return x / 2; }
void rt_demo_close(int64_t h) { (void)h; }
int64_t rt_demo_open(int64_t flags) { return flags; }
int rt_demo_counter = 3;
__attribute__((visibility("hidden"))) int64_t rt_demo_secret(void) { return 1; }
int64_t rt_demo_old_impl(void) { return 7; }
__asm__(".symver rt_demo_old_impl, rt_demo_old@DEMO_1.0");
int64_t rt_demo_many(int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5, int64_t a6, int64_t a7,
                     int64_t a8, int64_t a9, int64_t a10, int64_t a11, int64_t a12, int64_t a13) { return a1 + a13; }
"""
DEMO_MAP = "DEMO_1.0 { };\nDEMO_2.0 { global: *; } DEMO_1.0;\n"
BASE_C = "#include <stdint.h>\nint64_t rt_base_value(void) { return 42; }\n"
DEP_C = "#include <stdint.h>\nint64_t rt_base_value(void);\nint64_t rt_dep_own(void) { return rt_base_value(); }\n"
GONE_C = "int rt_gone_fn(void) { return 1; }\n"
BROKEN_C = "int rt_gone_fn(void);\nint rt_broken_call(void) { return rt_gone_fn(); }\n"
UNRES_C = "#include <stdint.h>\nint64_t helper_nowhere(void);\nint64_t rt_unres_call(void) { return helper_nowhere(); }\nint64_t rt_unres_fine(void) { return 1; }\n"
SAT_C = "#include <stdint.h>\nint64_t rt_sat_ping(int64_t x) { return x; }\n"
PLUG_C = "#include <stdint.h>\nint64_t rt_plug_open(int64_t x) { return x; }\n"
SIGNS_C = r"""
#include <stdbool.h>
#include <stdint.h>
uint32_t rt_signs_area(int32_t w, int32_t h) { return (uint32_t)(w * h); }
bool rt_signs_ready(int64_t fd) { return fd >= 0; }
int16_t rt_signs_narrow(uint64_t x) { return (int16_t)x; }
"""
LINKER_SCRIPT = "/* GNU ld script */\nGROUP ( /lib/x86_64-linux-gnu/libc.so.6 )\n"
EM_AARCH64 = 183


def _gcc(*args: str) -> subprocess.Popen:
    return subprocess.Popen(["gcc", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        out, err = p.communicate(timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"gcc failed: {err.decode(errors='replace')}")


def build_libs(root: Path) -> dict[str, Path]:
    root.mkdir(parents=True, exist_ok=True)
    src = root / "src"
    src.mkdir(exist_ok=True)
    lib = root / "lib"
    lib.mkdir(exist_ok=True)
    build = root / "build"  # satellites
    build.mkdir(exist_ok=True)
    plug = root / "plugins"
    plug.mkdir(exist_ok=True)
    for name, text in {
        "demo.c": DEMO_C, "demo.map": DEMO_MAP, "base.c": BASE_C, "dep.c": DEP_C, "gone.c": GONE_C,
        "broken.c": BROKEN_C, "unres.c": UNRES_C, "sat.c": SAT_C, "plug.c": PLUG_C,
        "signs.c": SIGNS_C,
    }.items():
        (src / name).write_text(text)
    so = ["-shared", "-fPIC", "-O0"]
    first = [
        _gcc(*so, "-g", f"-Wl,--version-script={src / 'demo.map'}", "-o", str(lib / "libsffidemo.so"), str(src / "demo.c")),
        _gcc(*so, "-Wl,-soname,libsffibase.so", "-o", str(lib / "libsffibase.so"), str(src / "base.c")),
        _gcc(*so, "-Wl,-soname,libsffigone.so", "-o", str(lib / "libsffigone.so"), str(src / "gone.c")),
        _gcc(*so, "-o", str(lib / "libsffiunres.so"), str(src / "unres.c")),
        _gcc(*so, "-o", str(build / "libspl_sat.so"), str(src / "sat.c")),
        _gcc(*so, "-o", str(plug / "libspl_plug.so"), str(src / "plug.c")),
        _gcc(*so, "-g", "-o", str(lib / "libsffisigns.so"), str(src / "signs.c")),
    ]
    _wait(first)
    second = [
        _gcc(*so, "-o", str(lib / "libsffidep.so"), str(src / "dep.c"), f"-L{lib}", "-lsffibase", "-Wl,-rpath,$ORIGIN"),
        _gcc(*so, "-o", str(lib / "libsffibroken.so"), str(src / "broken.c"), f"-L{lib}", "-lsffigone", "-Wl,-rpath,$ORIGIN"),
    ]
    _wait(second)
    (lib / "libsffigone.so").unlink()  # libsffibroken.so now needs a library that is not there
    (lib / "libsffiscript.so").write_text(LINKER_SCRIPT)
    wrong = lib / "libsffiwrong.so"
    shutil.copyfile(lib / "libsffibase.so", wrong)
    with open(wrong, "r+b") as fh:  # e_machine at offset 18 (little-endian half-word)
        fh.seek(18)
        fh.write(EM_AARCH64.to_bytes(2, "little"))
    (lib / "dir.so").mkdir(exist_ok=True)
    return {
        "demo": lib / "libsffidemo.so",
        "base": lib / "libsffibase.so",
        "dep": lib / "libsffidep.so",
        "broken": lib / "libsffibroken.so",
        "unres": lib / "libsffiunres.so",
        "script": lib / "libsffiscript.so",
        "wrong": lib / "libsffiwrong.so",
        "dir": lib / "dir.so",
        "sat": build / "libspl_sat.so",
        "plug": plug / "libspl_plug.so",
        "signs": lib / "libsffisigns.so",
        "lib_dir": lib,
        "build_dir": build,
    }


def have_gcc() -> bool:
    return shutil.which("gcc") is not None and os.name == "posix"
