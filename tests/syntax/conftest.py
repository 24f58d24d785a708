from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "spl"


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES
