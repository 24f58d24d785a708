"""Run the real `sffi-check` on wrapper trees (gcc and cargo build their libraries)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMPLE_", "SFFI_", "NO_COLOR", "FORCE_COLOR"))}
    env["PYTHONPATH"] = str(REPO)
    env["HOME"] = str(home)
    return env


@pytest.fixture
def check_tree(tmp_path):
    """`sffi-check --output-format json` on a tree: (exit code, findings)."""

    def run(root: Path, *args: str) -> tuple[int, list[dict]]:
        p = subprocess.run([sys.executable, "-m", "sffi_lsp.cli", "--output-format", "json", *args, "."],
                           cwd=root, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
        assert p.returncode in (0, 1), p.stderr
        data = json.loads(p.stdout)
        findings = data["diagnostics"]
        return p.returncode, findings

    return run


@pytest.fixture(scope="session")
def gcc():
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the wrapper libraries")


@pytest.fixture(scope="session")
def cargo():
    if shutil.which("cargo") is None:
        pytest.skip("cargo is needed to build the tier-1 Rust crate (install rustup/cargo)")
