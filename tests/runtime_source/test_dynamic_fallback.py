"""The interpreter's last resort: `dlopen(libsimple_runtime.so)` where the runtime looks
for it (here the checkout's target/debug/). Its exports count for the interpreter only
through that i64-only path: a `text` parameter cannot cross it (SFFI020 says so)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import copy_checkout

REPO = Path(__file__).resolve().parents[2]
GCC = shutil.which("gcc") or shutil.which("cc")

RUNTIME_C = """
#include <stdint.h>
int64_t rt_env_vars(void) { return 0; }
int64_t rt_string_new(const char *p, uint64_t n) { return (int64_t)n + (p != 0); }
"""

SPL = """\
extern fn rt_env_vars() -> [text]
extern fn rt_string_new(s: text) -> text
extern fn rt_actor_spawn(h: i64) -> i64

fn main():
    rt_env_vars()
    rt_string_new("x")
    rt_actor_spawn(1)
"""


def test_exports_of_the_fallback_library(tmp_path):
    if GCC is None:
        pytest.skip("gcc is needed to build libsimple_runtime.so")
    root = copy_checkout(tmp_path / "simple")
    target = root / "target" / "debug"
    target.mkdir(parents=True)
    (tmp_path / "rt.c").write_text(RUNTIME_C)
    subprocess.run([GCC, "-shared", "-fPIC", "-o", str(target / "libsimple_runtime.so"), str(tmp_path / "rt.c")],
                   check=True)
    lib = root / "src" / "lib"
    lib.mkdir(parents=True)
    (lib / "a.spl").write_text(SPL)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMPLE_", "SFFI_"))}
    env.update(PYTHONPATH=str(REPO), HOME=str(tmp_path))
    p = subprocess.run([sys.executable, "-m", "sffi_lsp.cli", "--no-cache", "--output-format", "json", "a.spl"],
                       cwd=lib, env=env, capture_output=True, text=True, timeout=120)
    report = json.loads(p.stdout)
    msgs = {d["line"]: d["message"] for d in report["diagnostics"] if d["code"] == "SFFI020"}
    assert 1 not in msgs  # rt_env_vars: no parameter, the fallback reaches it
    assert "dlopen fallback" in msgs[2] and "`s: text` cannot cross it" in msgs[2]
    assert "unknown extern function: rt_actor_spawn" in msgs[3]  # not exported there either
