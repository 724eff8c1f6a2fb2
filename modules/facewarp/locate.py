"""Finding the face in a portrait of any size and framing.

MediaPipe's face mesh is tuned for faces that fill much of the picture; a small face in a large scene
(a full-length painting, a group photo cropped wide) is often missed. When the whole image gives
nothing, look again in overlapping square windows, then refine on a crop around what was found.
"""
from __future__ import annotations

import numpy as np

from modules import landmarks
from modules.facecrop import square_around


def _windows(w: int, h: int) -> list[tuple[int, int, int]]:
    """(x0, y0, side) squares covering the image at two scales, half-overlapping."""
    out = []
    for side in (min(w, h), min(w, h) // 2):
        if side < 64:
            continue
        step = max(1, side // 2)
        for y in range(0, max(h - side, 0) + 1, step):
            for x in range(0, max(w - side, 0) + 1, step):
                out.append((x, y, side))
        # the right/bottom edges too, when the steps do not land on them
        if (w - side) % step:
            out += [(w - side, y, side) for y in range(0, max(h - side, 0) + 1, step)]
        if (h - side) % step:
            out += [(x, h - side, side) for x in range(0, max(w - side, 0) + 1, step)]
    return out


def find_face(image: np.ndarray) -> np.ndarray | None:
    """(478, 2) face-mesh points of the main face in an HxWx3 uint8 image, or None."""
    mesh = landmarks.detect(image)
    if mesh is not None:
        return mesh
    h, w = image.shape[:2]
    for x, y, side in _windows(w, h):
        found = landmarks.detect(np.ascontiguousarray(image[y:y + side, x:x + side]))
        if found is None:
            continue
        found = found + np.array([x, y], np.float32)
        # refine on a crop framed around the face, as the detector likes it
        crop = square_around(landmarks.face_box(found), (w, h), scale=2.2)
        refined = landmarks.detect(np.ascontiguousarray(crop.cut(image)))
        if refined is not None:
            return refined + np.array([crop.x0, crop.y0], np.float32)
        return found
    return None
