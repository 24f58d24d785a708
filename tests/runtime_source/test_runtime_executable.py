"""`builtins.runtime` may be the runtime executable itself (ET_EXEC or PIE, built
with -rdynamic): its exported functions count as built-ins. Read, never run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GCC = shutil.which("gcc") or shutil.which("cc")

RUNTIME_C = """
#include <stdint.h>
int64_t rt_exe_answer(int64_t x) { return x + 1; }
double rt_exe_ratio(double a, double b) { return a / b; }
int rt_exe_counter = 3;
int main(void) { return (int)rt_exe_answer(rt_exe_counter); }
"""

SPL = """\
extern fn rt_exe_answer(x: i64) -> i64
extern fn rt_exe_ratio(a: f64, b: f64) -> f64
extern fn rt_exe_counter() -> i64
extern fn rt_exe_missing() -> i64

fn main():
    rt_exe_answer(1)
    rt_exe_ratio(1.0, 2.0)
    rt_exe_counter()
    rt_exe_missing()
"""


@pytest.fixture(scope="module", params=["pie", "no-pie"])
def runtime_exe(request, tmp_path_factory):
    if GCC is None:
        pytest.skip("gcc is needed to build the runtime executable")
    d = tmp_path_factory.mktemp("rtexe")
    (d / "rt.c").write_text(RUNTIME_C)
    flags = ["-fPIE", "-pie"] if request.param == "pie" else ["-no-pie"]
    subprocess.run([GCC, "-O1", "-rdynamic", *flags, "-o", str(d / "simple"), str(d / "rt.c")], check=True)
    return d / "simple"


def test_executable_exports_are_builtins(runtime_exe, tmp_path):
    (tmp_path / "a.spl").write_text(SPL)
    (tmp_path / "sffi.toml").write_text(f'[builtins]\nruntime = "{runtime_exe}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMPLE_", "SFFI_"))}
    env.update(PYTHONPATH=str(REPO), HOME=str(tmp_path))
    p = subprocess.run([sys.executable, "-m", "sffi_lsp.cli", "--no-cache", "--output-format", "json", "a.spl"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    report = json.loads(p.stdout)
    externs = {e["name"]: e for e in report["externs"]}
    assert externs["rt_exe_answer"]["resolved"] and externs["rt_exe_ratio"]["resolved"]
    assert externs["rt_exe_answer"]["provider"]["kind"] == "builtin"
    assert not externs["rt_exe_missing"]["resolved"]
    assert not externs["rt_exe_counter"]["resolved"]  # data, not a function
    codes = {d["code"] for d in report["diagnostics"]}
    assert "SFFI004" not in codes or all("dlopen refuses" not in d["message"] for d in report["diagnostics"])
    assert all("dlopen refuses" not in d["message"] and "ET_EXEC" not in d["message"] for d in report["diagnostics"])


LIB_C = "#include <stdint.h>\nint64_t exe_lib_twice(int64_t x) { return 2 * x; }\n"


def test_target_may_be_the_runtime_executable(runtime_exe, tmp_path):
    """`target` (the binary whose ELF class/machine libraries must match) accepts the runtime
    executable, PIE or not, as `builtins.runtime` does; an object file is a config error."""
    subprocess.run([GCC, "-shared", "-fPIC", "-o", str(tmp_path / "libexelib.so"), "-x", "c", "-"],
                   input=LIB_C, text=True, check=True)
    (tmp_path / "a.spl").write_text("extern fn exe_lib_twice(x: i64) -> i64\n\nfn main():\n    exe_lib_twice(2)\n")
    (tmp_path / "sffi.toml").write_text(f'target = "{runtime_exe}"\n[[libraries]]\npath = "libexelib.so"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMPLE_", "SFFI_"))}
    env.update(PYTHONPATH=str(REPO), HOME=str(tmp_path))
    cmd = [sys.executable, "-m", "sffi_lsp.cli", "--no-cache", "--output-format", "json", "a.spl"]
    p = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode != 2, p.stderr
    report = json.loads(p.stdout)
    assert {e["name"]: e["resolved"] for e in report["externs"]} == {"exe_lib_twice": True}, report
    assert not report["diagnostics"], report["diagnostics"]
    subprocess.run([GCC, "-c", "-o", str(tmp_path / "rt.o"), "-x", "c", "-"], input=LIB_C, text=True, check=True)
    (tmp_path / "sffi.toml").write_text(f'target = "{tmp_path / "rt.o"}"\n[[libraries]]\npath = "libexelib.so"\n')
    p = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "target" in p.stderr and "not an executable or shared object" in p.stderr, p.stderr
