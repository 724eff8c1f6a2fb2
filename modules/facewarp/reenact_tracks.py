"""Weights-free reenactment: a driver's face landmarks per frame -> the built-in animator's motion rows.

Each frame's face mesh gives a few measures in units of the driver's own eye distance (so the size of the
face in the video does not matter): inner-lip gap, mouth width, eye aspect ratio, and the nose's offset
from the picture's centre (yaw, pitch) and the eye line's angle (roll). Motion is taken *relative* to a
reference frame of the driver (its first, or the best-aligned one), as FOM's relative mode does, and turned
into motion units with slopes measured on the target portrait itself (`calibrate`): the animator renders
the portrait at known motion values and the same measures are read back, so a driver's mouth opening of
x eye distances opens the portrait's mouth by x of its own eye distances.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .motion import BLINK, CHANNELS, OPEN, PITCH, ROLL, ROUND, WIDE, YAW

EYE_A = (33, 133, 159, 145)          # outer corner, inner corner, upper lid, lower lid
EYE_B = (263, 362, 386, 374)
LIP_UP, LIP_LO, MOUTH_L, MOUTH_R, NOSE_TIP, CHIN = 13, 14, 61, 291, 1, 152

MEASURES = ("open", "width", "ear", "yaw", "pitch", "roll")
M_OPEN, M_WIDTH, M_EAR, M_YAW, M_PITCH, M_ROLL = range(len(MEASURES))
# which motion channel each measure drives
DRIVES = {M_OPEN: OPEN, M_WIDTH: WIDE, M_EAR: BLINK, M_YAW: YAW, M_PITCH: PITCH, M_ROLL: ROLL}
LIMITS = {OPEN: (0.0, 1.0), WIDE: (-1.0, 1.0), BLINK: (0.0, 1.0), YAW: (-25.0, 25.0), PITCH: (-20.0, 20.0),
          ROLL: (-25.0, 25.0)}


def measures(mesh: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(len(MEASURES),) float64 of one face mesh (478, 2) in pixels of a picture of `size` (w, h).

    Head turn and nod are read from where the nose tip is, from the picture's centre, in eye distances:
    a real head turning moves the nose across the face and the face across the picture, and the built-in
    animator's yaw/pitch move the face; both land in the same measure."""
    m = np.asarray(mesh, np.float64)
    ca, cb = (m[EYE_A[0]] + m[EYE_A[1]]) / 2, (m[EYE_B[0]] + m[EYE_B[1]]) / 2
    iod = max(float(np.linalg.norm(cb - ca)), 1e-6)
    axis = (cb - ca) / iod
    ear = np.mean([np.linalg.norm(m[e[2]] - m[e[3]]) / max(np.linalg.norm(m[e[0]] - m[e[1]]), 1e-6)
                   for e in (EYE_A, EYE_B)])
    nose = m[NOSE_TIP] - np.array(size, np.float64) / 2
    return np.array([np.linalg.norm(m[LIP_LO] - m[LIP_UP]) / iod, np.linalg.norm(m[MOUTH_R] - m[MOUTH_L]) / iod,
                     ear, nose[0] / iod, nose[1] / iod, np.degrees(np.arctan2(axis[1], axis[0]))])


# the points that say what a face is doing (lips, lids, brows, nose tip, chin), for comparing expressions
EXPRESSION_POINTS = (13, 14, 61, 291, 0, 17, 37, 267, 84, 314, 78, 308, 82, 312, 87, 317,      # lips
                     33, 133, 159, 145, 263, 362, 386, 374,                                       # eyes
                     70, 105, 107, 300, 334, 336,                                                 # brows
                     1, 152, 172, 397)                                                            # nose, chin, jaw


def aligned(mesh: np.ndarray) -> np.ndarray:
    """The mesh with position, scale and roll removed (eye midpoint at 0, eye distance 1, eyes level):
    how alike two faces' expressions and poses are, whatever their size and place in the picture."""
    m = np.asarray(mesh, np.float64)
    ca, cb = (m[EYE_A[0]] + m[EYE_A[1]]) / 2, (m[EYE_B[0]] + m[EYE_B[1]]) / 2
    d = cb - ca
    iod = max(float(np.linalg.norm(d)), 1e-6)
    c, s = d / iod
    rot = np.array([[c, s], [-s, c]])
    return (m - (ca + cb) / 2) @ rot.T / iod


def expression_distance(a: np.ndarray, b: np.ndarray) -> float:
    """How different two aligned meshes' expressions are (mean distance of EXPRESSION_POINTS, eye units)."""
    idx = list(EXPRESSION_POINTS)
    return float(np.mean(np.linalg.norm(a[idx] - b[idx], axis=1)))


@dataclass(frozen=True)
class Calibration:
    """Per measure, how much it changes per unit of its motion channel on this portrait."""
    neutral: np.ndarray              # the portrait's own measures at rest
    slope: np.ndarray                # d(measure) / d(channel value), per measure

    def to_motion(self, delta: np.ndarray) -> np.ndarray:
        """Measure changes (n, len(MEASURES)) -> motion rows (n, len(CHANNELS)), clipped to safe ranges."""
        rows = np.zeros((len(delta), len(CHANNELS)), np.float32)
        for m, ch in DRIVES.items():
            s = self.slope[m]
            value = delta[:, m] / s if abs(s) > 1e-9 else np.zeros(len(delta))
            rows[:, ch] = np.clip(value, *LIMITS[ch])
        # lips drawn together with less width than at rest read as rounding (o, u, w)
        rows[:, ROUND] = np.clip(-rows[:, WIDE], 0.0, 1.0) * 0.8
        return rows


# what calibrate renders: per measure, the motion values that drive it (the neutral row comes first)
PROBES = {M_OPEN: (OPEN, (0.5, 1.0)), M_WIDTH: (WIDE, (-1.0, 1.0)), M_EAR: (BLINK, (0.5, 1.0)),
          M_YAW: (YAW, (-8.0, 8.0)), M_PITCH: (PITCH, (-8.0, 8.0)), M_ROLL: (ROLL, (-8.0, 8.0))}


def probe_rows() -> np.ndarray:
    """Motion rows the portrait is rendered at for `calibrate`: rest, then each probe value."""
    rows = [np.zeros(len(CHANNELS), np.float32)]
    for _, (ch, values) in PROBES.items():
        for v in values:
            r = np.zeros(len(CHANNELS), np.float32)
            r[ch] = v
            rows.append(r)
    return np.stack(rows)


def calibrate(probe_measures: np.ndarray) -> Calibration:
    """Slopes from the measures of the `probe_rows()` renders (same order): least squares through rest."""
    neutral = probe_measures[0]
    slope = np.zeros(len(MEASURES))
    k = 1
    for m, (_, values) in PROBES.items():
        x = np.asarray(values, np.float64)
        y = probe_measures[k:k + len(values), m] - neutral[m]
        slope[m] = float(x @ y / (x @ x))
        k += len(values)
    return Calibration(neutral, slope)


def fill_gaps(meas: list[np.ndarray | None]) -> np.ndarray:
    """(n, len(MEASURES)): frames where no face was found hold the last seen measures (the first found
    ones before it)."""
    first = next((m for m in meas if m is not None), None)
    if first is None:
        raise ValueError("no face in any frame")
    out, last = [], first
    for m in meas:
        last = m if m is not None else last
        out.append(last)
    return np.stack(out)


def smooth(x: np.ndarray) -> np.ndarray:
    """A light 3-tap temporal filter (landmark jitter), edges held."""
    if len(x) < 3:
        return x.copy()
    p = np.pad(x, ((1, 1), (0, 0)), mode="edge")
    return 0.25 * p[:-2] + 0.5 * p[1:-1] + 0.25 * p[2:]


def tracks(meas: np.ndarray, reference: np.ndarray, calibration: Calibration, *, scale: float = 1.0) -> np.ndarray:
    """Motion rows for driver measures `meas` (n, len(MEASURES)) relative to `reference` (the driver frame
    the motion starts from, or the portrait's own neutral for absolute motion); `scale` multiplies the
    movement (adapt_scale). Only the head pose is smoothed (the mesh jitters most there); lips and lids
    keep their sharp edges (a 1-frame closure is real)."""
    delta = meas - reference
    pose = [M_YAW, M_PITCH, M_ROLL]
    delta[:, pose] = smooth(meas[:, pose]) - reference[pose]
    delta *= scale
    return calibration.to_motion(delta)
