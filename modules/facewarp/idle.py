"""Seeded idle motion: blinks at irregular 2-6 s intervals and a slow head sway/nod of a few degrees."""
from __future__ import annotations

import numpy as np


def blinks(n_frames: int, fps: float, rng: np.random.Generator, *, min_gap: float = 2.0,
           max_gap: float = 6.0, duration: float = 0.12) -> np.ndarray:
    """(n_frames,) float32 lid closure 0..1; each blink lasts about `duration` seconds."""
    out = np.zeros(n_frames, np.float32)
    if n_frames == 0:
        return out
    t = np.arange(n_frames) / fps
    end = n_frames / fps
    # first blink anywhere in the first interval so clips don't all blink at the same moment
    when = rng.uniform(0.3, max_gap * 0.6)
    while when < end:
        # snap the peak to a frame so every blink really shuts the lids at least once
        peak = round(when * fps) / fps
        half = duration / 2
        shape = np.clip(1.0 - np.abs(t - peak) / (half + 0.5 / fps), 0.0, 1.0)
        out = np.maximum(out, (shape ** 0.7).astype(np.float32))
        when += rng.uniform(min_gap, max_gap)
    return out


def sway(n_frames: int, fps: float, rng: np.random.Generator, *, yaw_deg: float = 2.0,
         pitch_deg: float = 1.2, roll_deg: float = 1.0) -> np.ndarray:
    """(n_frames, 3) float32 yaw/pitch/roll in degrees: each a sum of two slow sines (0.07-0.35 Hz)
    with random phases, so it never repeats visibly and stays within the given amplitudes."""
    t = np.arange(n_frames) / fps
    out = np.zeros((n_frames, 3), np.float32)
    for k, amp in enumerate((yaw_deg, pitch_deg, roll_deg)):
        f = rng.uniform(0.07, 0.35, size=2)
        ph = rng.uniform(0, 2 * np.pi, size=2)
        w = rng.uniform(0.4, 1.0, size=2)
        w = w / w.sum()
        out[:, k] = amp * (w[0] * np.sin(2 * np.pi * f[0] * t + ph[0]) +
                           w[1] * np.sin(2 * np.pi * f[1] * t + ph[1]))
    return out
