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


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models are all per-op overhead; on a busy 2-core CPU torch's thread pool makes them ~20x
    slower. One thread for the module, the old count restored after."""
    import torch
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def sda_case(fixtures_dir) -> dict:
    """The SDA golden case: inputs and every intermediate of the original on the tiny model."""
    with np.load(fixtures_dir / "sda" / "case-tiny.npz") as npz:
        return {k: npz[k] for k in npz.files}


@pytest.fixture(scope="module")
def sda_va(fixtures_dir):
    """The tiny SDA fixture model, loaded."""
    from modules.sda import VideoAnimator
    return VideoAnimator(fixtures_dir / "sda" / "tiny.dat", device="cpu")


@pytest.fixture(scope="module")
def fom_tiny(fixtures_dir) -> tuple[Path, Path]:
    """(config, checkpoint) of the tiny FOM fixture."""
    d = fixtures_dir / "fom"
    return d / "tiny-256.yaml", d / "tiny-cpk.pth.tar"
