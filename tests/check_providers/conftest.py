"""Real shared libraries built with gcc once per session for the provider tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

GCC = shutil.which("gcc") or shutil.which("cc")

SOURCES: dict[str, str] = {
    # a configured library with a dependency, a data symbol and a function
    "beta.c": "long beta_only(long x) { return x + 1; }\nint beta_shared(void) { return 2; }\n",
    "alpha.c": (
        "#include <stdint.h>\n"
        "long beta_only(long x);\n"
        "int64_t alpha_open(const char *path, int64_t flags) { return beta_only(flags) + (path != 0); }\n"
        "void alpha_close(int64_t handle) { (void)handle; }\n"
        "double alpha_ratio(float a, double b) { return a / b; }\n"
        "const int alpha_table[8] = {1, 2, 3};\n"
        "__thread int alpha_tls;\n"
        "__attribute__((visibility(\"hidden\"))) int alpha_hidden(void) { return 1; }\n"
        "int shared_name(void) { return 10; }\n"
    ),
    # a second library that also defines shared_name (order decides)
    "gamma.c": "int shared_name(void) { return 20; }\nint gamma_fn(unsigned char b, _Bool f) { return b + f; }\n",
    "spl_demo.c": "#include <stdint.h>\nint64_t rt_demo_ping(void) { return 1; }\nint64_t not_a_demo_name(void) { return 2; }\n",
    "plug.c": "#include <stdint.h>\nint64_t rt_plug_a(int64_t x) { return x; }\nint rt_plug_data = 4;\n",
    "runtime.c": "#include <stdint.h>\nint64_t rt_runtime_thing(void) { return 7; }\n",
    "simple.c": "#include <stdint.h>\nint64_t rt_builtin_from_binary(void) { return 8; }\n",
    "compat.c": (
        "int compat_old(void) { return 1; }\n"
        "__asm__(\".symver compat_old, compat_fn@VER_1\");\n"
        "int current_fn(void) { return 2; }\n"
    ),
    "lazy.c": "void missing_elsewhere(void);\nvoid lazy_entry(void) { missing_elsewhere(); }\n",
    "needs_missing.c": "int gone(void);\nint needs_missing_fn(void) { return gone(); }\n",
    "gone.c": "int gone(void) { return 1; }\n",
    "preload.c": "int preload_only(void) { return 3; }\n",
}


def _build(out: Path) -> dict[str, Path]:
    src = out / "src"
    lib = out / "lib"
    sat = out / "sat"
    for d in (src, lib, sat, out / "gone"):
        d.mkdir(parents=True, exist_ok=True)
    for name, text in SOURCES.items():
        (src / name).write_text(text)
    (src / "compat.map").write_text("VER_1 { global: compat_fn; };\nVER_2 { global: current_fn; local: *; };\n")
    flags = ["-g", "-O0", "-shared", "-fPIC"]
    jobs = [
        [GCC, *flags, "-o", str(lib / "libbeta.so"), str(src / "beta.c")],
        [GCC, *flags, "-o", str(lib / "libgamma.so"), str(src / "gamma.c")],
        [GCC, *flags, "-o", str(sat / "libspl_demo.so"), str(src / "spl_demo.c")],
        [GCC, *flags, "-o", str(lib / "libplug.so"), str(src / "plug.c")],
        [GCC, *flags, "-o", str(lib / "libsimple_runtime.so"), str(src / "runtime.c")],
        [GCC, *flags, "-o", str(lib / "libsimplebin.so"), str(src / "simple.c")],
        [GCC, *flags, "-o", str(lib / "libcompat.so"), str(src / "compat.c"),
         f"-Wl,--version-script={src / 'compat.map'}"],
        [GCC, *flags, "-o", str(lib / "liblazy.so"), str(src / "lazy.c")],
        [GCC, *flags, "-o", str(out / "gone" / "libgone.so"), str(src / "gone.c")],
        [GCC, *flags, "-o", str(lib / "libpreload.so"), str(src / "preload.c")],
    ]
    with ThreadPoolExecutor(2) as pool:
        for proc in pool.map(lambda cmd: subprocess.run(cmd, capture_output=True, text=True), jobs):
            assert proc.returncode == 0, proc.stderr
    # Libraries with DT_NEEDED entries come after their dependencies.
    for cmd in (
        [GCC, *flags, "-o", str(lib / "libalpha.so"), str(src / "alpha.c"), f"-L{lib}", "-lbeta",
         "-Wl,-rpath,$ORIGIN"],
        # links against libgone.so, which is then not findable at load time
        [GCC, *flags, "-o", str(lib / "libneeds_missing.so"), str(src / "needs_missing.c"), f"-L{out / 'gone'}",
         "-lgone"],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    (lib / "libscript.so").write_text("/* GNU ld script */\nGROUP ( libc.so.6 )\n")
    return {
        "root": out, "lib": lib, "sat": sat,
        **{p.stem: p for p in [*lib.glob("*.so"), *sat.glob("*.so")]},
    }


@pytest.fixture(scope="session")
def native(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if GCC is None:
        pytest.skip("gcc is not installed")
    return _build(tmp_path_factory.mktemp("providers_native"))


@pytest.fixture
def clean_env() -> dict[str, str]:
    """An environment without the Simple variables (tests set what they need)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMPLE_")}
    env.pop("LD_PRELOAD", None)
    return env
