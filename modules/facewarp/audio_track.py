"""Mouth shape from the audio alone, for voices without a phoneme timeline and bring-your-own recordings.

Per video frame a 40 ms Hann window centred on the frame gives the level (RMS) and the spectral
centroid: loudness opens the jaw, a dark low-centroid spectrum rounds the lips, a bright one spreads them.
A silence gate closes the mouth wherever the level falls far below the clip's speech level.
"""
from __future__ import annotations

import numpy as np

WINDOW_S = 0.040
GATE_DB = -34.0        # below the clip's speech level (95th pct RMS) by this much = silent
FLOOR_DBFS = -55.0     # absolute silence floor whatever the clip level


def frame_features(audio: np.ndarray, sample_rate: int, n_frames: int, fps: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per frame (rms, spectral centroid in Hz), each (n_frames,) float64."""
    x = np.asarray(audio, np.float64).reshape(-1)
    n = max(16, int(round(WINDOW_S * sample_rate)))
    centres = np.round((np.arange(n_frames) + 0.5) / fps * sample_rate).astype(np.int64)
    starts = centres - n // 2
    padded = np.pad(x, (n, n))
    idx = starts[:, None] + n + np.arange(n)[None, :]
    idx = np.clip(idx, 0, len(padded) - 1)
    frames = padded[idx] if n_frames else np.zeros((0, n))
    rms = np.sqrt(np.mean(frames ** 2, axis=1)) if n_frames else np.zeros(0)
    spec = np.abs(np.fft.rfft(frames * np.hanning(n)[None, :], axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    band = (freqs >= 80) & (freqs <= 8000)
    power = spec[:, band]
    centroid = (power @ freqs[band]) / np.maximum(power.sum(axis=1), 1e-12)
    return rms, centroid


def speech_gate(rms: np.ndarray) -> np.ndarray:
    """(n,) bool: frames loud enough to be speech."""
    if rms.size == 0:
        return np.zeros(0, bool)
    ref = float(np.percentile(rms, 95))
    thresh = max(ref * 10 ** (GATE_DB / 20), 10 ** (FLOOR_DBFS / 20))
    return rms > thresh


def track_from_audio(audio: np.ndarray, sample_rate: int, n_frames: int, fps: float) -> np.ndarray:
    """(n_frames, 3) float32 [open, wide, round] from the sound itself."""
    out = np.zeros((n_frames, 3), np.float32)
    if n_frames == 0 or np.asarray(audio).size == 0:
        return out
    rms, centroid = frame_features(audio, sample_rate, n_frames, fps)
    gate = speech_gate(rms)
    if not gate.any():
        return out
    ref = float(np.percentile(rms[gate], 90))
    level = np.clip(rms / max(ref, 1e-9), 0.0, 1.2)
    open_ = np.clip(level ** 0.6, 0.0, 1.0)
    voiced = np.clip(level * 3, 0.0, 1.0)
    round_ = np.clip((1300.0 - centroid) / 900.0, 0.0, 1.0) * voiced
    wide = np.clip((centroid - 1800.0) / 2500.0, 0.0, 1.0) - 0.7 * round_
    raw = np.stack([open_, wide, round_], axis=1)
    # light smoothing (lips move with inertia), then the gate: silence is shut, never smoothed open
    k = np.array([0.25, 0.5, 0.25])
    padded = np.pad(raw, ((1, 1), (0, 0)), mode="edge")
    smooth = k[0] * padded[:-2] + k[1] * padded[1:-1] + k[2] * padded[2:]
    smooth[~gate] = 0.0
    out[:] = smooth
    return out
