"""Configs whose frame_shape is not square (and not 256): a tiny 64x96 (HxW) config made here loads,
animates like the plain per-frame loop, and drives the story engine; shapes the networks cannot run on are
refused with one clear message.

FOM is fully convolutional, so no weight depends on the frame shape: the fixture's seeded random
checkpoint (tiny-cpk.pth.tar, the original's layout) loads strictly into the 64x96 model."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml

from deepstory.engines.base import ClipSpeech
from deepstory.engines.fom import FomEngine
from modules.errors import ModelInputError
from modules.fom import FomAnimator, fit_geometry, load_config, prepare_driving, reference_animation

H, W = 64, 96


def _config(fixtures_dir, tmp_path, shape) -> "Path":
    data = yaml.safe_load((fixtures_dir / "fom" / "tiny-256.yaml").read_text())
    data["dataset_params"]["frame_shape"] = list(shape)
    path = tmp_path / f"tiny-{shape[0]}x{shape[1]}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def wide_model(fixtures_dir, tmp_path_factory):
    """(config path, checkpoint path) of the tiny model at 64x96."""
    tmp = tmp_path_factory.mktemp("wide")
    return _config(fixtures_dir, tmp, (H, W, 3)), fixtures_dir / "fom" / "tiny-cpk.pth.tar"


def _face_like(n: int, h: int, w: int) -> np.ndarray:
    """n smooth frames with a bright blob drifting right and down (motion the keypoints follow)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    frames = []
    for t in range(n):
        cy, cx = h * (0.45 + 0.03 * t), w * (0.4 + 0.04 * t)
        blob = np.exp(-(((yy - cy) / (0.2 * h)) ** 2 + ((xx - cx) / (0.15 * w)) ** 2))
        img = np.stack([60 + 180 * blob, 40 + 120 * blob * (xx / w), 90 + 80 * (yy / h)], -1)
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return np.stack(frames)


def test_nonsquare_config_loads_with_its_shape(wide_model):
    config = load_config(wide_model[0])
    assert config.frame_shape == (H, W, 3) and config.frame_hw == (H, W) and config.frame_size == W


@pytest.mark.parametrize("relative", [True, False])
def test_nonsquare_model_animates_like_the_per_frame_loop(wide_model, relative, one_torch_thread):
    config_path, ckpt = wide_model
    source = _face_like(1, H, W)[0]
    driving = _face_like(5, H, W)
    with FomAnimator(config_path, ckpt) as animator:
        assert animator.frame_hw == (H, W)
        got = np.stack(list(animator.animate(source, list(driving), relative=relative,
                                             adapt_movement_scale=relative, batch_size=2)))
        kp_detector, generator = animator.kp_detector, animator.generator
        to_t = lambda a: torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255   # noqa: E731
        want = torch.cat(list(reference_animation(kp_detector, generator, to_t(source),
                                                  (to_t(f) for f in driving), relative, relative)))
    assert got.shape == (5, H, W, 3)
    want = (want * 255).permute(0, 2, 3, 1).numpy()
    assert np.abs(got - want).max() <= 0.51          # rounding only: the fused batched path equals the plain loop
    assert np.abs(got[0].astype(int) - got[-1].astype(int)).max() > 2     # the driving motion shows


def test_driving_frames_of_another_shape_are_fitted_and_padded():
    # a square 64x64 driver into the 64x96 model: full height, 16 zero columns each side
    frames = np.full((1, 64, 64, 3), 200, np.uint8)
    assert fit_geometry(64, 64, (H, W)) == (64, 64, 0, 16)
    out = prepare_driving(frames, (H, W))
    assert out.shape == (1, 3, H, W)
    assert torch.count_nonzero(out[..., :16]) == 0 and torch.count_nonzero(out[..., 80:]) == 0
    assert torch.allclose(out[..., 16:80], torch.full((1, 3, 64, 64), 200 / 255))
    # a wide 50x200 driver: scaled to 24x96 (width fills), padded 20 above and below
    assert fit_geometry(50, 200, (H, W)) == (24, 96, 20, 0)


def test_story_engine_runs_a_nonsquare_model(wide_model, astronaut):
    with FomEngine(*wide_model, batch_size=2) as engine:
        session = engine.speaker(astronaut, label="astronaut.png")
        assert session.source.shape == (H, W, 3)
        # the square face crop sits in the middle 64x64 of the 64x96 model frame, black bars either side
        assert session.source[:, :16].max() == 0 and session.source[:, 80:].max() == 0
        assert session.source[:, 16:80].std() > 10
        motion = _face_like(3, 128, 96)
        speech = ClipSpeech(audio=np.zeros(1600, np.float32), sample_rate=16000, phonemes=None, n_frames=3,
                            fps=25.0, seed=0)
        frames = list(session.render(motion, speech))
    assert len(frames) == 3 and all(f.shape == (512, 512, 3) for f in frames)


@pytest.mark.parametrize("shape, words", [((60, 96, 3), "multiple of"), ((64, 96, 1), "channels"),
                                          ((64, 100, 3), "multiple of"), ((64, "x", 3), "integers")])
def test_shapes_the_networks_cannot_run_are_refused(fixtures_dir, tmp_path, shape, words):
    with pytest.raises(ModelInputError, match=words) as err:
        load_config(_config(fixtures_dir, tmp_path, shape))
    assert "frame_shape" in str(err.value)
