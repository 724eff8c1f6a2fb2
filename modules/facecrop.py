"""Square face crops out of a portrait and feathered paste-back into it.

Animators work on a square crop around the face (not the whole image squashed), then the animated crop
is blended back into the full-resolution portrait with a soft-edged mask so the seam does not show.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Crop:
    """A square region (x0, y0, side) of the portrait; may extend past the image edge (padded)."""
    x0: int
    y0: int
    side: int

    def cut(self, image: np.ndarray) -> np.ndarray:
        """The region as a side x side image; parts outside the portrait are edge-replicated."""
        h, w = image.shape[:2]
        pad = max(0, -self.x0, -self.y0, self.x0 + self.side - w, self.y0 + self.side - h)
        if pad:
            image = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
        y, x = self.y0 + pad, self.x0 + pad
        return image[y:y + self.side, x:x + self.side]


def square_around(box: tuple[float, float, float, float], image_size: tuple[int, int],
                  scale: float = 1.8) -> Crop:
    """A square `scale` times the face box's larger side, centred on the box, kept inside the image
    when it fits (shifted rather than shrunk), else as large as the image allows."""
    w, h = image_size
    x0, y0, x1, y1 = box
    side = int(round(max(x1 - x0, y1 - y0) * scale))
    side = max(8, min(side, max(w, h)))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    if side <= w:
        left = min(max(left, 0), w - side)
    if side <= h:
        top = min(max(top, 0), h - side)
    return Crop(left, top, side)


def feather_mask(side: int, border: float = 0.12) -> np.ndarray:
    """side x side float32 mask: 1 in the middle, falling smoothly to 0 over `border`*side at the edges."""
    ramp = max(1.0, border * side)
    d = np.arange(side, dtype=np.float32)
    edge = np.minimum(d + 0.5, side - d - 0.5) / ramp
    edge = np.clip(edge, 0.0, 1.0)
    edge = edge * edge * (3 - 2 * edge)          # smoothstep: no visible kink at the ramp ends
    return np.outer(edge, edge)


def _inside(crop: Crop, image_size: tuple[int, int]) -> tuple[slice, slice, slice, slice] | None:
    """(image rows, image cols, patch rows, patch cols) of the crop's part inside the image; None if none."""
    w, h = image_size
    xa, ya = max(crop.x0, 0), max(crop.y0, 0)
    xb, yb = min(crop.x0 + crop.side, w), min(crop.y0 + crop.side, h)
    if xa >= xb or ya >= yb:
        return None
    return (slice(ya, yb), slice(xa, xb), slice(ya - crop.y0, yb - crop.y0), slice(xa - crop.x0, xb - crop.x0))


def paste(portrait: np.ndarray, patch: np.ndarray, crop: Crop, mask: np.ndarray) -> np.ndarray:
    """A copy of `portrait` with `patch` (crop.side square, uint8) blended in through `mask`."""
    out = portrait.copy()
    part = _inside(crop, (portrait.shape[1], portrait.shape[0]))
    if part is None:
        return out
    ys, xs, py, px = part
    sub_patch = patch[py, px].astype(np.float32)
    sub_mask = mask[py, px, None]
    base = out[ys, xs].astype(np.float32)
    out[ys, xs] = np.clip(base + (sub_patch - base) * sub_mask + 0.5, 0, 255).astype(np.uint8)
    return out


def put(portrait: np.ndarray, patch: np.ndarray, crop: Crop) -> np.ndarray:
    """A copy of `portrait` with `patch` (crop.side square, uint8, already blended with the portrait at its
    edges) written over the crop's part inside the image."""
    out = portrait.copy()
    part = _inside(crop, (portrait.shape[1], portrait.shape[0]))
    if part is not None:
        ys, xs, py, px = part
        out[ys, xs] = patch[py, px]
    return out
