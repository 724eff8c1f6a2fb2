"""Seeded idle motion: blinks at irregular 2-6 s intervals and a slow head sway/nod of a few degrees."""
from __future__ import annotations

import numpy as np


CLOSING_SHARE = 0.35   # of a blink's duration spent closing: lids drop fast and reopen more slowly


def blinks(n_frames: int, fps: float, rng: np.random.Generator, *, min_gap: float = 2.0,
           max_gap: float = 6.0, duration: float = 0.2, also_at: tuple[float, ...] = ()) -> np.ndarray:
    """(n_frames,) float32 lid closure 0..1; each blink lasts about `duration` seconds, closing in the first
    CLOSING_SHARE of it and reopening in the rest (0.2 s: ~70 ms down, ~130 ms up). `also_at`: times (s)
    of extra blinks (people blink more at the end of a phrase); a random one is skipped when it would
    fall within `min_gap` of another, so the rate stays natural."""
    out = np.zeros(n_frames, np.float32)
    if n_frames == 0:
        return out
    t = np.arange(n_frames) / fps
    end = n_frames / fps
    # first blink anywhere in the first interval so clips don't all blink at the same moment
    when = rng.uniform(0.3, max_gap * 0.6)
    times = []
    while when < end:
        times.append(when)
        when += rng.uniform(min_gap, max_gap)
    for extra in also_at:
        if 0 <= extra < end and all(abs(extra - w) >= min_gap for w in times):
            times.append(extra)
    down, up = duration * CLOSING_SHARE, duration * (1 - CLOSING_SHARE)
    for when in times:
        # snap the peak to a frame so every blink really shuts the lids at least once
        peak = round(when * fps) / fps
        span = np.where(t < peak, down, up) + 0.5 / fps
        shape = np.clip(1.0 - np.abs(t - peak) / span, 0.0, 1.0)
        out = np.maximum(out, (shape ** 0.7).astype(np.float32))
    return out


def phrase_ends(speaking: np.ndarray, fps: float, min_pause_s: float = 0.3) -> list[int]:
    """Frames where speech stops for at least `min_pause_s` (or the clip ends): the ends of phrases."""
    s = np.asarray(speaking, bool)
    ends = []
    k = max(1, int(round(min_pause_s * fps)))
    for i in range(1, len(s) + 1):
        if s[i - 1] and (i == len(s) or not s[i:i + k].any()):
            ends.append(i)
    return ends


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


def gaze(n_frames: int, fps: float, rng: np.random.Generator, *, min_hold: float = 1.0, max_hold: float = 4.0,
         reach: float = 0.5, saccade_s: float = 0.04) -> np.ndarray:
    """(n_frames, 2) float32 gaze x/y: the eyes hold a point for 1-4 s, then jump (a ~40 ms saccade) to
    another near the centre (|x| <= reach, |y| <= reach / 2), returning to the centre every other time."""
    out = np.zeros((n_frames, 2), np.float32)
    if n_frames == 0:
        return out
    t, k, here = 0.0, 0, np.zeros(2)
    end = n_frames / fps
    t = rng.uniform(0.2, max_hold)
    while t < end:
        target = np.zeros(2) if k % 2 else np.array([rng.uniform(-reach, reach), rng.uniform(-reach, reach) / 2])
        i0 = int(round(t * fps))
        steps = max(1, int(round(saccade_s * fps)))
        for j in range(steps):
            if i0 + j < n_frames:
                out[i0 + j] = here + (target - here) * (j + 1) / steps
        out[min(i0 + steps, n_frames):] = target
        here, k = target, k + 1
        t += rng.uniform(min_hold, max_hold)
    return out
