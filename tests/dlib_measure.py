"""An independent judge of the built-in animator's look: dlib's 68-point shape predictor (the `dlib-bin`
and `face_recognition_models` wheels, no download at test time), not the face mesh the animator itself
is built on. All lengths are in units of the distance between the eye centres ("eye distance").

Reference bands come from issue #12's table, measured the same way on a real person talking on camera:
opening p90 0.42, chin-drop range 0.31, corr(width, opening) -0.3, lowest eye aspect ratio 0.15,
mid-grey colourless share of the open-mouth interior 4 %.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def _model_path() -> Path:
    # face_recognition_models' own __init__ imports pkg_resources (gone from new setuptools): find the
    # file without importing it
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face_recognition_models is not installed (requirements-dev.txt)")
    return Path(list(spec.submodule_search_locations)[0]) / "models" / "shape_predictor_68_face_landmarks.dat"


class Dlib68:
    """68 landmarks per frame; the face box is found once (HOG) and reused, as the head moves little."""

    def __init__(self):
        import dlib
        self._dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(str(_model_path()))
        self.box = None

    def points(self, frame: np.ndarray) -> np.ndarray | None:
        dlib = self._dlib
        img = np.ascontiguousarray(frame)
        if self.box is None:
            found = self.detector(img, 1)
            if not found:
                return None
            self.box = max(found, key=lambda r: r.area())
        shape = self.predictor(img, self.box)
        return np.array([[shape.part(i).x, shape.part(i).y] for i in range(68)], np.float64)


@dataclass
class Look:
    """Per-frame measurements (arrays over frames)."""
    opening: np.ndarray     # inner-lip gap / eye distance
    width: np.ndarray       # mouth corner to corner / eye distance
    chin: np.ndarray        # chin below the eye line / eye distance
    ear: np.ndarray         # eye aspect ratio, mean of both eyes (lower: more closed)
    grey_share: float       # share of open-mouth interior pixels that are mid-grey and colourless
    dark_share: float       # share of them that are dark (luma < 0.25)

    @property
    def chin_range(self) -> float:
        return float(np.percentile(self.chin, 90) - np.percentile(self.chin, 10))


def _ear(eye: np.ndarray) -> float:
    v = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    return float(v / (2 * np.linalg.norm(eye[0] - eye[3])))


def measure(frames: list[np.ndarray]) -> Look:
    import cv2
    d = Dlib68()
    rows, grey, dark, total = [], 0, 0, 0
    for f in frames:
        p = d.points(f)
        if p is None:
            raise AssertionError("dlib finds no face in the rendered frame")
        le, re = p[36:42].mean(axis=0), p[42:48].mean(axis=0)
        ed = float(np.linalg.norm(re - le))
        down = np.array([-(re - le)[1], (re - le)[0]]) / ed            # perpendicular to the eye line
        if down[1] < 0:
            down = -down
        gap = np.mean([np.linalg.norm(p[a] - p[b]) for a, b in ((61, 67), (62, 66), (63, 65))])
        rows.append((gap / ed, np.linalg.norm(p[54] - p[48]) / ed, float((p[8] - (le + re) / 2) @ down) / ed,
                     (_ear(p[36:42]) + _ear(p[42:48])) / 2))
        if gap / ed > 0.15:
            # the interior of a clearly open mouth: inside the inner lip contour (eroded by a pixel)
            mask = np.zeros(f.shape[:2], np.uint8)
            cv2.fillPoly(mask, [np.round(p[60:68]).astype(np.int32)], 1)
            mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
            px = f[mask.astype(bool)].astype(np.float64) / 255
            if len(px):
                luma = px @ np.array([0.299, 0.587, 0.114])
                sat = px.max(axis=1) - px.min(axis=1)
                grey += int(np.sum((luma > 0.3) & (luma < 0.7) & (sat < 0.08)))
                dark += int(np.sum(luma < 0.25))
                total += len(px)
    a = np.array(rows)
    return Look(a[:, 0], a[:, 1], a[:, 2], a[:, 3], grey / max(total, 1), dark / max(total, 1))
