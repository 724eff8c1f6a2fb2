"""Offline face landmarks: MediaPipe face mesh (478 points, model bundled in the wheel).

One detector per thread (MediaPipe graphs are not thread-safe). Points come back in pixel coordinates
(x, y) of the image given. Also maps mesh points to the few 68-point (iBUG) ids that the original FOM/SDA
code uses, so code written against dlib/face-alignment ids can use this detector.
"""
from __future__ import annotations

import contextlib
import os
import threading

import numpy as np

# MediaPipe/TFLite log chatter goes to stderr at import; keep the CLI's output readable.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_local = threading.local()

# Face-mesh indices of useful points.
MOUTH_INNER_UPPER, MOUTH_INNER_LOWER = 13, 14
MOUTH_LEFT, MOUTH_RIGHT = 61, 291
CHIN, FOREHEAD = 152, 10
# 68-point iBUG id -> face-mesh index, for the ids the original code reads
# (33 nose tip, 36/39 one eye's outer/inner corner, 42/45 the other eye's inner/outer corner).
IBUG_TO_MESH = {33: 1, 36: 33, 39: 133, 42: 362, 45: 263, 48: 61, 54: 291, 8: 152, 30: 4}


@contextlib.contextmanager
def _quiet_stderr():
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _detector(static: bool):
    key = "static" if static else "video"
    det = getattr(_local, key, None)
    if det is None:
        with _quiet_stderr():          # TFLite/absl print set-up chatter straight to fd 2
            import mediapipe as mp
            det = mp.solutions.face_mesh.FaceMesh(static_image_mode=static, max_num_faces=1,
                                                  refine_landmarks=True, min_detection_confidence=0.5)
        setattr(_local, key + "_fresh", True)
        setattr(_local, key, det)
    return det


def detect(image: np.ndarray, *, video: bool = False) -> np.ndarray | None:
    """Landmarks of the most prominent face in an HxWx3 uint8 RGB image: (478, 2) float32 pixel
    coordinates, or None when no face is found. `video=True` tracks across consecutive frames."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError("detect() takes an HxWx3 uint8 RGB image")
    h, w = image.shape[:2]
    det = _detector(not video)
    key = ("static" if not video else "video") + "_fresh"
    if getattr(_local, key, False):          # the graph's first run prints one more warning
        with _quiet_stderr():
            result = det.process(np.ascontiguousarray(image))
        setattr(_local, key, False)
    else:
        result = det.process(np.ascontiguousarray(image))
    if not result.multi_face_landmarks:
        return None
    pts = result.multi_face_landmarks[0].landmark
    return np.array([(p.x * w, p.y * h) for p in pts], np.float32)


def ibug_points(mesh: np.ndarray, ids: tuple[int, ...]) -> np.ndarray:
    """The 68-point-scheme points `ids` taken from face-mesh landmarks."""
    return np.stack([mesh[IBUG_TO_MESH[i]] for i in ids]).astype(np.float32)


def face_box(mesh: np.ndarray) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) bounding box of the landmarks."""
    x0, y0 = mesh.min(axis=0)
    x1, y1 = mesh.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def mouth_opening(mesh: np.ndarray) -> float:
    """Inner-lip gap divided by face height (forehead to chin): 0 closed, ~0.1+ wide open."""
    gap = np.linalg.norm(mesh[MOUTH_INNER_LOWER] - mesh[MOUTH_INNER_UPPER])
    height = np.linalg.norm(mesh[CHIN] - mesh[FOREHEAD])
    return float(gap / max(height, 1e-6))
