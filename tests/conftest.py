"""Shared test fixtures: paths to the golden data beside the repo and small real inputs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"golden fixtures not found at {FIXTURES}: the repo must sit beside ../shared")
    return FIXTURES


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """A real public-domain portrait (NASA, shipped in scikit-image): 512x512 RGB uint8."""
    import skimage.data
    return skimage.data.astronaut()
