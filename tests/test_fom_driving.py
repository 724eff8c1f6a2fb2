"""Driving-frame preparation: scale the longer side to the model size, zero-pad the shorter side."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from modules.fom import fit_geometry, prepare_driving


def test_sda_frames_become_x2_bilinear_padded_left_and_right():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (3, 128, 96, 3), dtype=np.uint8)
    out = prepare_driving(frames, 256)
    assert out.shape == (3, 3, 256, 256) and out.dtype == torch.float32
    assert torch.count_nonzero(out[..., :32]) == 0 and torch.count_nonzero(out[..., 224:]) == 0
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255
    want = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    assert torch.allclose(out[..., 32:224], want, atol=1e-6)


def test_flat_colour_stays_flat_and_exact():
    frames = np.full((2, 128, 96, 3), (200, 10, 90), np.uint8)
    out = prepare_driving(frames, 256)
    assert torch.allclose(out[:, :, :, 32:224], torch.tensor([200, 10, 90]).view(1, 3, 1, 1) / 255, atol=1e-7)


def test_model_sized_frames_pass_unchanged():
    frames = np.arange(2 * 64 * 64 * 3, dtype=np.int64).reshape(2, 64, 64, 3).astype(np.uint8)
    out = prepare_driving(frames, 64)
    assert torch.equal(out, torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255)


@pytest.mark.parametrize("h, w, size, expected", [
    (128, 96, 256, (256, 192, 0, 32)),      # SDA -> vox
    (96, 128, 256, (192, 256, 32, 0)),      # landscape: pad top and bottom
    (40, 64, 64, (40, 64, 12, 0)),          # already fits the longer side: pad only
    (100, 75, 64, (64, 48, 0, 8)),          # shrink
    (33, 64, 64, (33, 64, 15, 0)),          # odd padding: the extra row goes at the bottom
])
def test_fit_geometry(h, w, size, expected):
    assert fit_geometry(h, w, size) == expected
    out = prepare_driving(np.full((1, h, w, 3), 255, np.uint8), size)
    nh, nw, top, left = expected
    assert out.shape == (1, 3, size, size)
    assert float(out.sum()) == pytest.approx(3 * nh * nw, rel=1e-6)
    assert torch.all(out[:, :, top:top + nh, left:left + nw] > 0.999)


def test_rejects_float_or_wrong_layout():
    with pytest.raises(ValueError, match="uint8"):
        prepare_driving(np.zeros((1, 8, 8, 3), np.float32), 8)
    with pytest.raises(ValueError, match="uint8"):
        prepare_driving(np.zeros((8, 8, 3), np.uint8), 8)
