"""Magnitude spectrogram -> waveform, as the original DCTTS voices do it.

Griffin-Lim from zero phase (deterministic), STFTs with a centred Hann window and reflect padding (the
librosa 0.7.2 semantics Deepstory pinned), de-emphasis in float64, librosa-default silence trimming
(top_db 60, frames of 2048 every 512), int16 by truncation without clipping, then Deepstory's loudness
normalisation to -30 dBFS.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy.signal import lfilter

from .hparams import HParams

TRIM_TOP_DB = 60.0
TRIM_FRAME, TRIM_HOP = 2048, 512
TARGET_DBFS = -30.0


def target_magnitude(mag: np.ndarray, hp: HParams) -> np.ndarray:
    """Normalised magnitude (f', T) in [0, 1] -> linear amplitude raised to `power`, float32 like the original."""
    db = np.clip(mag.astype(np.float32), 0, 1) * np.float32(hp.max_db) - np.float32(hp.max_db) + np.float32(hp.ref_db)
    return np.power(np.float32(10.0), db * np.float32(0.05)) ** np.float32(hp.power)


class _Stft:
    """STFT / inverse STFT pair with the original's window, centring and reflect padding."""

    def __init__(self, hp: HParams, device: torch.device, dtype: torch.dtype):
        self.n_fft, self.hop, self.win = hp.n_fft, hp.hop_length, hp.win_length
        self.window = torch.hann_window(self.win, periodic=True, dtype=dtype, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stft(x, self.n_fft, self.hop, self.win, self.window, center=True, pad_mode="reflect",
                          return_complex=True)

    def inverse(self, spec: torch.Tensor) -> torch.Tensor:
        return torch.istft(spec, self.n_fft, self.hop, self.win, self.window, center=True)


def griffin_lim(magnitude: np.ndarray, hp: HParams, device: torch.device | str = "cpu") -> np.ndarray:
    """`n_iter` rounds of istft -> stft -> keep the phase, starting from zero phase; then a final istft."""
    device = torch.device(device)
    dtype = torch.float64 if device.type == "cpu" else torch.float32
    stft = _Stft(hp, device, dtype)
    target = torch.as_tensor(magnitude, device=device).to(dtype)
    spec = torch.complex(target, torch.zeros_like(target))
    for _ in range(hp.n_iter):
        estimate = stft.forward(stft.inverse(spec))
        spec = target * (estimate / estimate.abs().clamp_min(1e-8))
    return stft.inverse(spec).cpu().numpy()


def deemphasis(wav: np.ndarray, coefficient: float) -> np.ndarray:
    """y[n] = x[n] + coefficient * y[n-1], in float64 (scipy's lfilter promotes)."""
    return lfilter([1.0], [1.0, -coefficient], np.asarray(wav, dtype=np.float64))


def trim_interval(wav: np.ndarray) -> tuple[int, int]:
    """[start, end) kept by librosa's default `effects.trim`: frames whose RMS is within 60 dB of the loudest."""
    y = np.pad(np.asarray(wav, dtype=np.float64), TRIM_FRAME // 2, mode="reflect")
    n_frames = 1 + (len(y) - TRIM_FRAME) // TRIM_HOP
    frames = np.lib.stride_tricks.sliding_window_view(y, TRIM_FRAME)[::TRIM_HOP][:n_frames]
    power = np.sqrt(np.mean(frames ** 2, axis=1)) ** 2
    db = 10.0 * np.log10(np.maximum(1e-10, power)) - 10.0 * np.log10(max(1e-10, float(power.max())))
    loud = np.flatnonzero(db > -TRIM_TOP_DB)
    if loud.size == 0:
        return 0, 0
    return int(loud[0] * TRIM_HOP), min(len(wav), int((loud[-1] + 1) * TRIM_HOP))


def to_int16(wav: np.ndarray) -> np.ndarray:
    """`(wav * 32767).astype(int16)` as the original: truncation toward zero, out-of-range values wrap."""
    return np.trunc(np.asarray(wav, dtype=np.float64) * 32767).astype(np.int64).astype(np.int16)


def normalize_loudness(wav: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """Deepstory's pydub normalisation of int16 audio: integer RMS, gain to `target_dbfs`, clip, floor."""
    samples = np.asarray(wav, dtype=np.int16).astype(np.float64)
    if samples.size == 0:
        return np.zeros(0, dtype=np.int16)
    rms = int(math.sqrt(float(np.mean(samples ** 2))))
    if rms == 0:             # silence: pydub's gain would be infinite; keep it silent
        return np.asarray(wav, dtype=np.int16).copy()
    gain = 10.0 ** ((target_dbfs - 20.0 * math.log10(rms / 32768.0)) / 20.0)
    return np.floor(np.clip(samples * gain, -32768, 32767)).astype(np.int16)


def spectrogram_to_wav(mag: np.ndarray, hp: HParams, device: torch.device | str = "cpu") -> dict[str, np.ndarray]:
    """Time-major magnitude (T, f') -> every stage of the original `spectrogram2wav`.

    Keys: `gl_input`, `gl_output`, `wav_deemph` (float64), `trim_interval`, `wav_float` (trimmed, float64),
    `wav_int16` (Deepstory's output before loudness normalisation).
    """
    gl_input = target_magnitude(np.asarray(mag).T, hp)
    gl_output = griffin_lim(gl_input, hp, device)
    wav_deemph = deemphasis(gl_output, hp.preemphasis)
    start, end = trim_interval(wav_deemph)
    wav_float = wav_deemph[start:end]
    return {"gl_input": gl_input, "gl_output": gl_output, "wav_deemph": wav_deemph,
            "trim_interval": np.array([start, end], dtype=np.int64), "wav_float": wav_float,
            "wav_int16": to_int16(wav_float)}
