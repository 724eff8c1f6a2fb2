"""`modules.fom.reconstruct` vs the original reconstruction.py loop (fixtures/fom-train/reconstruction-tiny.npz)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from modules.errors import ModelInputError
from modules.fom import load_checkpoint, reconstruct


def test_reconstruction_matches_the_original(fixtures_dir, fom_tiny, one_torch_thread):
    with np.load(fixtures_dir / "fom-train" / "reconstruction-tiny.npz") as npz:
        ref = {k: npz[k] for k in npz.files}
    kp_detector, generator = load_checkpoint(*fom_tiny, device="cpu")
    predictions, l1 = reconstruct(kp_detector, generator, torch.from_numpy(ref["video"]).float())
    assert predictions.shape == (6, 3, 64, 64) and l1.shape == (6,)
    np.testing.assert_allclose(predictions.numpy(), ref["prediction"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(l1.numpy(), ref["l1_per_frame"], rtol=0, atol=1e-5)
    assert abs(float(l1.mean()) - float(ref["reconstruction_loss"])) < 1e-5


def test_reconstruct_rejects_a_batch_of_videos(fom_tiny):
    kp_detector, generator = load_checkpoint(*fom_tiny, device="cpu")
    with pytest.raises(ModelInputError, match=r"\(1, 3, T, H, W\)"):
        reconstruct(kp_detector, generator, torch.zeros(2, 3, 2, 64, 64))
