"""Image resizing and letterboxing shared by the engines and the assembler."""
from __future__ import annotations

import numpy as np


def resize_rgb(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an HxWx3 uint8 image to (width, height) with area filtering when shrinking."""
    import cv2
    w, h = size
    if image.shape[1] == w and image.shape[0] == h:
        return np.ascontiguousarray(image)
    interp = cv2.INTER_AREA if w < image.shape[1] else cv2.INTER_CUBIC
    return cv2.resize(image, (w, h), interpolation=interp)


def letterbox(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Fit `frame` inside (width, height) keeping its aspect, centred on black."""
    w, h = size
    fh, fw = frame.shape[:2]
    if (fw, fh) == (w, h):
        return frame
    scale = min(w / fw, h / fh)
    nw, nh = max(1, int(round(fw * scale))), max(1, int(round(fh * scale)))
    inner = resize_rgb(frame, (nw, nh))
    out = np.zeros((h, w, 3), np.uint8)
    y0, x0 = (h - nh) // 2, (w - nw) // 2
    out[y0:y0 + nh, x0:x0 + nw] = inner
    return out
