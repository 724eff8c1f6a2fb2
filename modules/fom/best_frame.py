"""`find_best_frame`: the driving frame whose face is best aligned with the source's.

As in the original demo, landmarks are centred and scaled by the square root of their convex-hull area,
and the frame with the smallest squared distance to the source's wins. The landmarks come from the
offline MediaPipe face mesh (modules.landmarks) instead of the original's downloaded face-alignment model.
Use the result as `FomAnimator.animate(..., driving_initial=frames[best])`.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
from scipy.spatial import ConvexHull


def _normalised(points: np.ndarray) -> np.ndarray:
    pts = points.astype(np.float64)
    pts = pts - pts.mean(axis=0, keepdims=True)
    return pts / np.sqrt(ConvexHull(pts).volume)


def find_best_frame(source: np.ndarray, driving: Iterable[np.ndarray]) -> int:
    """Index of the driving frame (HxWx3 uint8) best aligned with `source`; 0 when no face is found."""
    from .. import landmarks          # MediaPipe loads only when this is used

    mesh = landmarks.detect(np.ascontiguousarray(source))
    if mesh is None:
        return 0
    return best_mesh_index(mesh, (landmarks.detect(np.ascontiguousarray(frame)) for frame in driving))


def best_mesh_index(source_mesh: np.ndarray | None, meshes: Iterable[np.ndarray | None]) -> int:
    """`find_best_frame` on landmarks already found (None: no face in that frame; 0 if none has one).
    The distance ignores position and size, so landmarks of a frame or of a crop of it rank alike."""
    if source_mesh is None:
        return 0
    ref = _normalised(source_mesh)
    best, best_norm = 0, np.inf
    for i, pts in enumerate(meshes):
        if pts is None:
            continue
        norm = float(((ref - _normalised(pts)) ** 2).sum())
        if norm < best_norm:
            best, best_norm = i, norm
    return best
