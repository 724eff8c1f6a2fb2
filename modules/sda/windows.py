"""Cutting the speech signal into overlapping per-frame windows.

One window per video frame: `stride = int(audio_rate / video_rate)` samples apart, `window` samples long,
on a signal zero-padded by `window - stride` samples (floor half on the left, the rest on the right).
The original builds this by repeated concatenation (quadratic in clip length); here it is one strided
view of the padded signal, so no window is copied.
"""
from __future__ import annotations

import torch


def frame_count(n_samples: int, window: int, stride: int) -> int:
    """Frames the original produces for `n_samples` of speech (= n_samples // stride when window >= stride)."""
    pad = window - stride
    return max(0, (n_samples + pad - window) // stride + 1)


def cut_windows(speech: torch.Tensor, window: int, stride: int) -> torch.Tensor:
    """(T, window) view of the padded 1-D `speech`; window i = padded[i*stride : i*stride + window]."""
    if speech.dim() != 1:
        speech = speech.reshape(-1)
    pad = window - stride
    padded = torch.nn.functional.pad(speech, (pad // 2, pad - pad // 2))
    if padded.numel() < window:
        raise ValueError(f"speech of {speech.numel()} samples is shorter than one frame ({stride} samples)")
    return padded.unfold(0, window, stride)
