"""Shared measurement helpers for the built-in animator tests (test_builtin_*.py).

Inputs, and where they come from:
- portrait: `skimage.data.astronaut()` (NASA, public domain, shipped in scikit-image);
- real speech: `pyannote/audio/sample/sample.wav` inside the pyannote-audio 4.0.7 wheel (MIT package), fetched
  with `pip download --no-deps` into pytest's cache dir and read straight out of the wheel (zip);
- synthetic speech with a phoneme timeline: espeak-ng (espeakng-loader wheel) through modules.tts.espeak.
Measurements run MediaPipe's face mesh (modules.landmarks) on the rendered frames.
"""
from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from modules import landmarks

PYANNOTE = "pyannote-audio==4.0.7"
SAMPLE_MEMBER = "pyannote/audio/sample/sample.wav"
FPS = 25


TEST_DATA = Path(__file__).resolve().parents[1] / ".venv" / "test-data"     # filled by `make test`'s install


def pyannote_sample(cache_dir: Path) -> tuple[np.ndarray, int]:
    """The 30 s two-speaker recording shipped in the pyannote-audio wheel, as float32 mono + rate.

    `make test` downloads the wheel at install time (scripts/install.sh, into .venv/test-data); without it
    the test fetches it once into pytest's cache; if neither works the test FAILS (it never skips)."""
    import soundfile as sf
    wheels = sorted(TEST_DATA.glob("pyannote_audio-*.whl")) or sorted(cache_dir.glob("pyannote_audio-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--quiet",
               "-d", str(cache_dir), PYANNOTE]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        wheels = sorted(cache_dir.glob("pyannote_audio-*.whl"))
        if proc.returncode != 0 or not wheels:
            pytest.fail(f"the real-speech sample is missing: run `make test` (its install downloads {PYANNOTE} "
                        f"into .venv/test-data), or fetch it by hand: {proc.stderr.strip()[-300:]}")
    with zipfile.ZipFile(wheels[0]) as zf:
        data = zf.read(SAMPLE_MEMBER)
    audio, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return audio.mean(axis=1), int(sr)


def frame_rms(audio: np.ndarray, sr: int, n_frames: int, fps: float = FPS) -> np.ndarray:
    """Speech RMS envelope: RMS of each video frame's own 1/fps span of audio."""
    hop = sr / fps
    out = np.zeros(n_frames)
    for k in range(n_frames):
        seg = audio[int(round(k * hop)):int(round((k + 1) * hop))]
        out[k] = np.sqrt(np.mean(seg.astype(np.float64) ** 2)) if seg.size else 0.0
    return out


def openings(frames: list[np.ndarray]) -> np.ndarray:
    """Inner-lip gap / face height per frame, from the landmark detector run on the rendered frames
    (NaN where it finds no face)."""
    out = np.full(len(frames), np.nan)
    for i, f in enumerate(frames):
        mesh = landmarks.detect(f)
        if mesh is not None:
            out[i] = landmarks.mouth_opening(mesh)
    return out


def best_lag_pearson(x: np.ndarray, y: np.ndarray, max_lag: int = 2) -> tuple[float, int]:
    """Highest Pearson correlation of x against y shifted by -max_lag..max_lag frames."""
    best = (-2.0, 0)
    for lag in range(-max_lag, max_lag + 1):
        a = x[max(0, lag):len(x) + min(0, lag)]
        b = y[max(0, -lag):len(y) + min(0, -lag)]
        ok = np.isfinite(a) & np.isfinite(b)
        r = float(np.corrcoef(a[ok], b[ok])[0, 1])
        best = max(best, (r, lag))
    return best


def runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    """`mask` with only its True runs of at least `min_len` kept."""
    out = np.zeros_like(mask)
    i = 0
    while i < len(mask):
        if mask[i]:
            j = i
            while j < len(mask) and mask[j]:
                j += 1
            if j - i >= min_len:
                out[i:j] = True
            i = j
        else:
            i += 1
    return out
