"""Fixtures for CLI tests: gcc-built libraries and a way to run `sffi-check`."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "check"))

from native_libs import build_libs, have_gcc  # noqa: E402


@pytest.fixture(scope="session")
def libs(tmp_path_factory):
    if not have_gcc():
        pytest.skip("gcc is needed to build the test libraries")
    return build_libs(tmp_path_factory.mktemp("sffi-cli-libs"))


@dataclass
class Run:
    code: int
    out: str
    err: str


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMPLE_", "NO_COLOR", "FORCE_COLOR", "SFFI_"))}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


@pytest.fixture
def sffi(tmp_path):
    """Run `python -m sffi_lsp.cli ARGS` in `cwd` (default tmp_path) as users do."""

    def run(*args: str, cwd: Path | None = None, timeout: float = 60, **env: str) -> Run:
        p = subprocess.run(
            [sys.executable, "-m", "sffi_lsp.cli", *map(str, args)],
            cwd=cwd or tmp_path,
            env=clean_env(HOME=str(tmp_path), **env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Run(p.returncode, p.stdout, p.stderr)

    return run
