"""Audio post-processing between the voice and the clip: trimming, resampling, silences, files."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DeepstoryError

STORY_RATE = 22050          # every voice's audio is brought to this rate; 882 samples per 25 fps frame


def trim_bounds(audio: np.ndarray, sample_rate: int, *, threshold_db: float = -40.0,
                window_s: float = 0.01, margin_s: float = 0.02) -> tuple[int, int]:
    """(start, end) samples of `audio` without its leading/trailing silence: 10 ms windows quieter than
    `threshold_db` below the peak are silence; `margin_s` of it is kept on each side."""
    if audio.size == 0:
        return 0, 0
    peak = float(np.max(np.abs(audio)))
    if peak <= 1e-6:
        return 0, 0
    win = max(1, int(sample_rate * window_s))
    n = len(audio) // win
    if n == 0:
        return 0, len(audio)
    rms = np.sqrt(np.mean(audio[: n * win].reshape(n, win) ** 2, axis=1))
    loud = np.flatnonzero(rms > peak * 10 ** (threshold_db / 20))
    if loud.size == 0:
        return 0, 0
    margin = int(sample_rate * margin_s)
    return max(0, loud[0] * win - margin), min(len(audio), (loud[-1] + 1) * win + margin)


def resample(audio: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """High-quality resampling (soxr) of mono float audio."""
    if src_rate == dst_rate or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    import soxr
    return soxr.resample(audio.astype(np.float32), src_rate, dst_rate).astype(np.float32)


def silence(seconds: float, rate: int = STORY_RATE) -> np.ndarray:
    return np.zeros(int(round(seconds * rate)), np.float32)


def read_audio(path: str | Path, rate: int = STORY_RATE) -> np.ndarray:
    """Any common audio (or video) file as mono float32 at `rate`, decoded with PyAV."""
    import av
    path = Path(path)
    if not path.is_file():
        raise DeepstoryError(f"audio file not found: {path}")
    chunks = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise DeepstoryError(f"{path} has no audio track")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except av.FFmpegError as exc:
        raise DeepstoryError(f"cannot decode audio from {path}: {exc}") from None
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if audio.size == 0:
        raise DeepstoryError(f"{path} contains no audio samples")
    return np.clip(audio, -1.0, 1.0)
