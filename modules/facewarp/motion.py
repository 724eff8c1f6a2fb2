"""Layout of the per-frame motion array the viseme driver makes and the warp renderer reads."""
from __future__ import annotations

import numpy as np

#: column names of the motion array, in order
CHANNELS: tuple[str, ...] = ("open", "wide", "round", "blink", "yaw", "pitch", "roll", "press", "tuck", "tongue",
                             "gaze_x", "gaze_y")
OPEN, WIDE, ROUND, BLINK, YAW, PITCH, ROLL, PRESS, TUCK, TONGUE, GAZE_X, GAZE_Y = range(len(CHANNELS))
# open 0..1 (lips closed .. wide open), wide -1..1 (pursed .. spread), round 0..1, blink 0..1 (lids open ..
# shut), yaw/pitch/roll in degrees; the lip shapes mixed with the opening, each 0..1: press (m b p: lips
# pressed together, their red rolled in to a thin line), tuck (f v: the lower lip drawn up under the upper
# teeth), tongue (t d n l th: the tongue tip up behind the upper teeth, seen when the lips are apart);
# gaze_x / gaze_y -1..1: where the eyes look (the irises shift by up to GAZE_SHIFT of the eye width across
# and half that up/down; + is the portrait's right and down).
#: the mouth channels a viseme track fills, in its column order
MOUTH = (OPEN, WIDE, ROUND, PRESS, TUCK, TONGUE)


def empty(n_frames: int) -> np.ndarray:
    """A motion array of `n_frames` rows at rest."""
    return np.zeros((n_frames, len(CHANNELS)), np.float32)


def check(motion: np.ndarray, n_frames: int) -> np.ndarray:
    """`motion` as float32 (n_frames, len(CHANNELS)); raises ValueError when it has another shape."""
    m = np.asarray(motion, np.float32)
    if m.ndim != 2 or m.shape != (n_frames, len(CHANNELS)):
        raise ValueError(f"motion must be ({n_frames}, {len(CHANNELS)}) for channels {CHANNELS}, "
                         f"got {m.shape}")
    return m
