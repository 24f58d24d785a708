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
