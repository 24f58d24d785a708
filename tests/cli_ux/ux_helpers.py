"""Helpers for the first-hour tests: the real `sffi-check` in a subprocess, and
tiny gcc-built libraries written for these tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / ".venv" / "bin" / "sffi-check"


@dataclass
class Run:
    code: int
    out: str
    err: str


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SIMPLE_", "NO_COLOR", "FORCE_COLOR", "SFFI_", "LD_"))}
    env["PYTHONPATH"] = str(REPO)
    env["HOME"] = str(home)
    env.update(extra)
    return env


def command() -> list[str]:
    """The installed entry point when there is one (as users run it), else the module."""
    return [str(CLI)] if CLI.exists() else [sys.executable, "-m", "sffi_lsp.cli"]


def make_runner(tmp_path):
    def run(*args, cwd: Path | None = None, timeout: float = 60, input: str | None = None, **env: str) -> Run:
        p = subprocess.run([*command(), *map(str, args)], cwd=cwd or tmp_path, env=clean_env(tmp_path, **env),
                           capture_output=True, timeout=timeout, input=input.encode() if input else None)
        # every byte sffi-check writes must be UTF-8: decoding strictly is part of each test
        return Run(p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8"))

    return run


def gcc_lib(out: Path, c_source: str, *extra: str) -> Path:
    """Build `out` (a shared library) from C source with gcc; skip when gcc is missing."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the test libraries (apt-get install gcc)")
    src = out.with_suffix(".c")
    src.write_text(c_source)
    subprocess.run(["gcc", "-shared", "-fPIC", "-g", "-o", str(out), str(src), *extra], check=True,
                   capture_output=True, timeout=120)
    return out


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
