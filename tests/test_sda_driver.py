"""The `sda` driver with the tiny fixture model on real (espeak-ng) speech: frame counts, shapes, retiming,
determinism, audio dependence, cache keys and the missing-checkpoint message."""
from __future__ import annotations

import numpy as np
import pytest

from deepstory.engines.base import ClipSpeech
from deepstory.engines.sda import SdaDriver
from deepstory.errors import EngineError


@pytest.fixture(scope="module")
def speech_audio(fixtures_dir):
    """1.2 s of espeak-ng speech ("bin blue at f two now") as float32 at 22050 Hz, with 0.3 s of silence."""
    with np.load(fixtures_dir / "sda" / "case-tiny.npz") as npz:
        audio = npz["audio"].astype(np.float32) / 32767
    return np.concatenate([audio, np.zeros(6615, np.float32)]), 22050


@pytest.fixture(scope="module")
def driver(fixtures_dir):
    with SdaDriver(fixtures_dir / "sda" / "tiny.dat", device="cpu") as drv:
        yield drv


def clip(audio, rate, n_frames, fps=25.0, seed=1):
    return ClipSpeech(audio=audio, sample_rate=rate, phonemes=None, n_frames=n_frames, fps=fps, seed=seed)


def test_frames_shape_count_and_range(driver, speech_audio):
    audio, rate = speech_audio
    n = int(round(len(audio) / rate * 25))
    frames = driver.drive(clip(audio, rate, n))
    assert frames.shape == (n, 16, 12, 3) and frames.dtype == np.uint8
    assert frames.std(axis=0).mean() > 0.5             # it moves
    for other in (n - 3, n + 2, 1):                     # trimmed / padded with the last frame
        got = driver.drive(clip(audio, rate, other))
        assert got.shape[0] == other
        np.testing.assert_array_equal(got[:min(n, other)], frames[:min(n, other)])
        if other > n:
            np.testing.assert_array_equal(got[n:], np.repeat(frames[-1:], other - n, axis=0))


def test_other_story_fps_is_retimed(driver, speech_audio):
    audio, rate = speech_audio
    at25 = driver.drive(clip(audio, rate, 37))
    at50 = driver.drive(clip(audio, rate, 74, fps=50.0))
    np.testing.assert_array_equal(at50[::2], at25)


def test_deterministic_per_seed_and_driven_by_audio(driver, speech_audio):
    audio, rate = speech_audio
    a = driver.drive(clip(audio, rate, 30, seed=3))
    np.testing.assert_array_equal(a, driver.drive(clip(audio, rate, 30, seed=3)))
    assert np.abs(a.astype(int) - driver.drive(clip(audio, rate, 30, seed=4))).max() > 0
    silent = driver.drive(clip(np.zeros_like(audio), rate, 30, seed=3))
    assert np.abs(a.astype(int) - silent).mean() > 0.5


def test_very_short_clip(driver):
    frames = driver.drive(clip(np.zeros(100, np.float32), 16000, 1))
    assert frames.shape == (1, 16, 12, 3)


def test_cache_key_and_base_image(fixtures_dir, astronaut):
    path = fixtures_dir / "sda" / "tiny.dat"
    default, custom = SdaDriver(path), SdaDriver(path, base_image=astronaut)
    assert default.cache_key() == SdaDriver(path).cache_key()
    assert default.cache_key() != custom.cache_key()
    assert default.cache_key() != SdaDriver(path, fast=True).cache_key()
    assert default.name == "sda" and default.motion_kind == "sda"


def test_missing_checkpoint_says_what_and_where(tmp_path):
    with pytest.raises(EngineError) as err:
        SdaDriver(tmp_path / "grid.dat")
    message = str(err.value)
    assert "grid.dat" in message and "speech-driven-animation" in message


def test_files_read_like_the_original(fixtures_dir, tmp_path):
    import soundfile as sf
    from PIL import Image

    from deepstory.engines.sda import load_like_original
    from modules.sda import SdaModel
    with np.load(fixtures_dir / "sda" / "case-tiny.npz") as npz:
        frame, audio, fs, want = npz["frame"], npz["audio"], int(npz["fs"]), npz["video"]
    Image.fromarray(frame).save(tmp_path / "face.png")
    sf.write(tmp_path / "speech.wav", audio, fs, subtype="PCM_16")
    got_frame, got_audio, got_fs = load_like_original(tmp_path / "face.png", tmp_path / "speech.wav")
    assert got_audio.dtype == np.int16 and got_fs == fs
    va = SdaModel(fixtures_dir / "sda" / "tiny.dat", device="cpu")
    video, _ = va(got_frame, got_audio, fs=got_fs, aligned=True, noise=1234)
    np.testing.assert_allclose(video, want, atol=2e-3)
