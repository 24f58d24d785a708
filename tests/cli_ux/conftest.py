"""Fixtures for the first-hour tests (issue 12): see ux_helpers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ux_helpers import make_runner  # noqa: E402


@pytest.fixture
def sffi(tmp_path):
    """Run the real `sffi-check ARGS` in `cwd` (default tmp_path) as users do."""
    return make_runner(tmp_path)
