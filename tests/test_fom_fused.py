"""The animator's fused blocks compute what the original blocks compute."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from modules.fom import load_checkpoint
from modules.fom.blocks import DownBlock2d, Hourglass, ResBlock2d, SameBlock2d, UpBlock2d
from modules.fom.fused import FastUpBlock2d, fast_copy


def _randomise_bn(module: torch.nn.Module) -> torch.nn.Module:
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return module.eval()


@pytest.mark.parametrize("block, shape", [
    (UpBlock2d(6, 5), (2, 6, 7, 5)),          # odd, non-square sizes exercise the phase borders
    (UpBlock2d(8, 4), (1, 8, 1, 1)),          # small inputs take the upsample-then-conv path
    (UpBlock2d(8, 4), (2, 8, 8, 9)),
    (DownBlock2d(4, 6), (2, 4, 8, 6)),
    (SameBlock2d(3, 5, kernel_size=7, padding=3), (2, 3, 9, 9)),
    (ResBlock2d(6), (2, 6, 5, 7)),
    (Hourglass(4, 3, num_blocks=3, max_features=16), (2, 3, 16, 16)),
])
def test_fused_block_matches_original(block, shape):
    torch.manual_seed(0)
    block = _randomise_bn(block)
    fast = fast_copy(block)
    x = torch.randn(shape)
    with torch.no_grad():
        want, got = block(x), fast(x)
    assert got.shape == want.shape
    assert float((got - want).abs().max()) <= 1e-5 * max(1.0, float(want.abs().max()))


def test_fused_models_match_on_the_golden_case(fixtures_dir):
    d = fixtures_dir / "fom"
    kp_detector, generator = load_checkpoint(d / "tiny-256.yaml", d / "tiny-cpk.pth.tar")
    fast_kp, fast_gen = fast_copy(kp_detector), fast_copy(generator)
    case = np.load(d / "case-tiny.npz")
    source = torch.from_numpy(case["source"])
    driving = torch.from_numpy(case["driving"][0].transpose(1, 0, 2, 3).copy())     # (T, 3, H, W)
    with torch.no_grad():
        kp_s, kp_d = kp_detector(source), kp_detector(driving)
        fast_d = fast_kp(driving)
        for part in ("value", "jacobian"):
            assert float((fast_d[part] - kp_d[part]).abs().max()) <= 1e-5
        want = generator(source, kp_source=kp_s, kp_driving=kp_d)
        got = fast_gen(source, kp_source=kp_s, kp_driving=kp_d)
    for key in ("prediction", "mask", "occlusion_map", "deformation"):
        assert float((got[key] - want[key]).abs().max()) <= 1e-5, key


def test_fast_copy_rewrites_a_copy_only():
    hourglass = _randomise_bn(Hourglass(4, 3, num_blocks=2, max_features=16))
    fast = fast_copy(hourglass)
    assert isinstance(fast.decoder.up_blocks[0], FastUpBlock2d)
    assert isinstance(hourglass.decoder.up_blocks[0], UpBlock2d)
