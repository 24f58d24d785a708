"""Fixtures for the checker tests: real gcc-built libraries (built once per session)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from native_libs import build_libs, have_gcc  # noqa: E402


@pytest.fixture(scope="session")
def libs(tmp_path_factory):
    if not have_gcc():
        pytest.skip("gcc is needed to build the test libraries")
    return build_libs(tmp_path_factory.mktemp("sffi-libs"))
