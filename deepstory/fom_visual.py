"""Training visualisation PNG, like the original Visualizer: per sample, source | driving | prediction |
occlusion, keypoints drawn on source and driving (one colour per keypoint, the gist_rainbow order)."""
from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .cache import atomic_write


def _colours(k: int) -> list[tuple[int, int, int]]:
    return [tuple(int(255 * c) for c in colorsys.hsv_to_rgb(0.85 * i / max(1, k - 1), 1, 1)) for i in range(k)]


def _to_image(chw: np.ndarray) -> Image.Image:
    if chw.shape[0] == 1:
        chw = np.repeat(chw, 3, axis=0)
    return Image.fromarray((np.clip(np.transpose(chw, (1, 2, 0)), 0, 1) * 255 + 0.5).astype(np.uint8))


def _with_kp(img: Image.Image, kp: np.ndarray, radius: int) -> Image.Image:
    img = img.copy()
    draw = ImageDraw.Draw(img)
    w, h = img.size
    for (x, y), colour in zip(kp, _colours(len(kp))):
        # keypoints are in [-1, 1] with -1/+1 on the first/last pixel centres
        px, py = (x + 1) / 2 * (w - 1), (y + 1) / 2 * (h - 1)
        draw.ellipse([px - radius, py - radius, px + radius, py + radius], fill=colour)
    return img


def training_picture(batch: dict, generated: dict, *, kp_size: int = 5, max_rows: int = 4) -> Image.Image:
    """Grid image of up to `max_rows` samples of a batch (arrays or tensors, (B, C, H, W) in [0, 1])."""
    def np_(x):
        return x.detach().float().cpu().numpy() if hasattr(x, "detach") else np.asarray(x, dtype=np.float32)
    src, drv, pred = np_(batch["source"]), np_(batch["driving"]), np_(generated["prediction"])
    kp_s, kp_d = np_(generated["kp_source"]["value"]), np_(generated["kp_driving"]["value"])
    occ = np_(generated["occlusion_map"]) if "occlusion_map" in generated else None
    rows = min(max_rows, src.shape[0])
    h, w = src.shape[2:]
    cols = 4 if occ is not None else 3
    sheet = Image.new("RGB", (cols * w, rows * h))
    for r in range(rows):
        tiles = [_with_kp(_to_image(src[r]), kp_s[r], kp_size), _with_kp(_to_image(drv[r]), kp_d[r], kp_size),
                 _to_image(pred[r])]
        if occ is not None:
            tiles.append(_to_image(occ[r]).resize((w, h), Image.BILINEAR))
        for c, tile in enumerate(tiles):
            sheet.paste(tile, (c * w, r * h))
    return sheet


def save_picture(image: Image.Image, path: Path) -> None:
    atomic_write(path, lambda tmp: image.save(tmp, format="PNG"))
