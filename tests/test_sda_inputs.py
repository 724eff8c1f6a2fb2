"""Audio/frame input handling of modules.sda (the parts of the original `__call__` the golden case does
not reach): dtypes, channels, frame counts, the T == 1 squeeze, determinism, errors."""
from __future__ import annotations

import numpy as np
import pytest

from modules.errors import ModelInputError


def test_float_audio_means_full_scale_one(sda_va, sda_case):
    as_int = sda_va.speech(sda_case["audio"], 22050)
    as_float = sda_va.speech(sda_case["audio"].astype(np.float64) / 32767, 22050)
    np.testing.assert_allclose(as_float, as_int, atol=1e-6)
    # int32 is divided by its own max, as the original does
    np.testing.assert_allclose(sda_va.speech(sda_case["audio"].astype(np.int32) * 65536, 22050),
                               as_int * (32767 * 65536 / 2147483647), atol=1e-6)


def test_same_rate_is_not_resampled(sda_va, sda_case):
    audio = sda_case["audio"]
    np.testing.assert_array_equal(sda_va.speech(audio, sda_va.audio_rate), (audio / 32767.0).astype(np.float32))


def test_multichannel_uses_channel_zero(sda_va, sda_case):
    stereo = np.stack([sda_case["audio"], sda_case["audio"][::-1]], axis=1)
    np.testing.assert_array_equal(sda_va.speech(stereo, 22050), sda_va.speech(sda_case["audio"], 22050))


def test_bad_audio_refused(sda_va, sda_case):
    with pytest.raises(ModelInputError):
        sda_va.speech(sda_case["audio"].astype(np.uint16), 22050)
    with pytest.raises(ModelInputError):
        sda_va(sda_case["frame"], sda_case["audio"], fs=None, aligned=True)
    with pytest.raises(ModelInputError, match="too short"):
        sda_va(sda_case["frame"], np.zeros(sda_va.cutting_stride - 1, np.int16), fs=sda_va.audio_rate, aligned=True, noise=0)


def test_frame_count_and_single_frame_squeeze(sda_va, sda_case):
    stride = sda_va.cutting_stride
    for n in (stride, 2 * stride - 1, 5 * stride + 3):
        video, audio_out = sda_va(sda_case["frame"], np.ones(n, np.int16), fs=sda_va.audio_rate, aligned=True, noise=0)
        t = n // stride
        assert video.shape == ((3, *sda_va.img_size) if t == 1 else (t, 3, *sda_va.img_size))
        assert audio_out.shape == (n, 1)


def test_noise_seed_is_deterministic(sda_va, sda_case):
    args = (sda_case["frame"], sda_case["audio"])
    a, _ = sda_va(*args, fs=22050, aligned=True, noise=5)
    b, _ = sda_va(*args, fs=22050, aligned=True, noise=5)
    c, _ = sda_va(*args, fs=22050, aligned=True, noise=6)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3
    with pytest.raises(ModelInputError, match="noise"):
        sda_va(*args, fs=22050, aligned=True, noise=np.zeros((3, sda_va.aux_latent), np.float32))
