"""Audio/frame input handling of modules.sda (the parts of the original `__call__` the golden case does
not reach): dtypes, channels, frame counts, the T == 1 squeeze, determinism, errors."""
from __future__ import annotations

import numpy as np
import pytest

from modules.errors import ModelInputError
from modules.sda import VideoAnimator


@pytest.fixture(scope="module")
def case(fixtures_dir):
    with np.load(fixtures_dir / "sda" / "case-tiny.npz") as npz:
        return {k: npz[k] for k in npz.files}


@pytest.fixture(scope="module")
def va(fixtures_dir) -> VideoAnimator:
    return VideoAnimator(fixtures_dir / "sda" / "tiny.dat", device="cpu")


def test_float_audio_means_full_scale_one(va, case):
    as_int = va.speech(case["audio"], 22050)
    as_float = va.speech(case["audio"].astype(np.float64) / 32767, 22050)
    np.testing.assert_allclose(as_float, as_int, atol=1e-6)
    # int32 is divided by its own max, as the original does
    np.testing.assert_allclose(va.speech(case["audio"].astype(np.int32) * 65536, 22050),
                               as_int * (32767 * 65536 / 2147483647), atol=1e-6)


def test_same_rate_is_not_resampled(va, case):
    audio = case["audio"]
    np.testing.assert_array_equal(va.speech(audio, va.audio_rate), (audio / 32767.0).astype(np.float32))


def test_multichannel_uses_channel_zero(va, case):
    stereo = np.stack([case["audio"], case["audio"][::-1]], axis=1)
    np.testing.assert_array_equal(va.speech(stereo, 22050), va.speech(case["audio"], 22050))


def test_bad_audio_refused(va, case):
    with pytest.raises(ModelInputError):
        va.speech(case["audio"].astype(np.uint16), 22050)
    with pytest.raises(ModelInputError):
        va(case["frame"], case["audio"], fs=None, aligned=True)
    with pytest.raises(ModelInputError, match="too short"):
        va(case["frame"], np.zeros(va.cutting_stride - 1, np.int16), fs=va.audio_rate, aligned=True, noise=0)


def test_frame_count_and_single_frame_squeeze(va, case):
    stride = va.cutting_stride
    for n in (stride, 2 * stride - 1, 5 * stride + 3):
        video, audio_out = va(case["frame"], np.ones(n, np.int16), fs=va.audio_rate, aligned=True, noise=0)
        t = n // stride
        assert video.shape == ((3, *va.img_size) if t == 1 else (t, 3, *va.img_size))
        assert audio_out.shape == (n, 1)


def test_noise_seed_is_deterministic(va, case):
    args = (case["frame"], case["audio"])
    a, _ = va(*args, fs=22050, aligned=True, noise=5)
    b, _ = va(*args, fs=22050, aligned=True, noise=5)
    c, _ = va(*args, fs=22050, aligned=True, noise=6)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3
    with pytest.raises(ModelInputError, match="noise"):
        va(*args, fs=22050, aligned=True, noise=np.zeros((3, va.aux_latent), np.float32))
