"""Aligning a face photo to the model's `mean_face` (the original `preprocess_img`), offline.

The original finds 68-point landmarks with the `face_alignment` package (a network download) and keeps
ids 33 (nose tip), 36, 39, 42, 45 (eye corners). Here the same five points come from MediaPipe's face mesh
(`modules.landmarks.ibug_points`). The similarity transform (Umeyama, as skimage's `estimate_transform`)
and the bilinear warp with zero fill, `*255` and truncation to uint8 follow the original.
"""
from __future__ import annotations

import numpy as np

from ..errors import NoFaceError

STABLE_POINTS = (33, 36, 39, 42, 45)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """3x3 matrix of the least-squares similarity (rotation, uniform scale, translation) mapping
    (x, y) points `src` onto `dst` (Umeyama 1991, without reflection)."""
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    n, dim = src.shape
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / n
    d = np.ones(dim)
    if np.linalg.det(cov) < 0:
        d[dim - 1] = -1
    u, s, vt = np.linalg.svd(cov)
    rank = np.linalg.matrix_rank(cov)
    t = np.eye(dim + 1)
    if rank == 0:
        return np.full((dim + 1, dim + 1), np.nan)
    if rank == dim - 1 and np.linalg.det(u) * np.linalg.det(vt) <= 0:
        d_ = d.copy()
        d_[dim - 1] = -1
        rot = u @ np.diag(d_) @ vt
    else:
        rot = u @ np.diag(d) @ vt
    scale = (s @ d) / src_c.var(0).sum()
    t[:dim, :dim] = scale * rot
    t[:dim, dim] = dst_mean - scale * rot @ src_mean
    return t


def warp_affine(image: np.ndarray, matrix: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
    """Output pixel (row r, col c) samples `image` bilinearly at inverse(matrix) @ (c, r, 1), zero outside;
    returns float64 in [0, 1] (uint8 input is divided by 255 first, as skimage does)."""
    from scipy import ndimage
    h, w = out_size
    inv = np.linalg.inv(matrix)
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    xs = inv[0, 0] * cols + inv[0, 1] * rows + inv[0, 2]
    ys = inv[1, 0] * cols + inv[1, 1] * rows + inv[1, 2]
    img = image.astype(np.float64) / 255.0
    out = np.empty((h, w, img.shape[2]))
    for ch in range(img.shape[2]):
        out[:, :, ch] = ndimage.map_coordinates(img[:, :, ch], [ys, xs], order=1, mode="grid-constant", cval=0.0)
    return np.clip(out, 0.0, 1.0)


def align_to_mean_face(image: np.ndarray, mean_face: np.ndarray, img_size: tuple[int, int],
                       landmarks: np.ndarray | None = None, *, label: str = "image") -> np.ndarray:
    """`image` (HxWx3 uint8 RGB) warped so its eye corners and nose tip sit on `mean_face`'s, cropped to
    img_size (H, W), as uint8. `landmarks` are MediaPipe face-mesh points (478, 2); detected when None."""
    from ..landmarks import detect, ibug_points
    if landmarks is None:
        landmarks = detect(image)
        if landmarks is None:
            raise NoFaceError(f"no face found in {label}: SDA needs a frontal face photo")
    src = ibug_points(landmarks, STABLE_POINTS)
    dst = np.asarray(mean_face, np.float64)[list(STABLE_POINTS)]
    warped = warp_affine(image, similarity_transform(src, dst), img_size)
    return (warped * 255).astype(np.uint8)
