"""Tiny synthetic training videos for the FOM training tests: shapes that move, rotate and blink."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from deepstory.media import encode_clip


def shape_frames(seed: int, frames: int = 8, size: int = 64) -> list[np.ndarray]:
    """A coloured background with an ellipse 'face' that drifts, a rotating bar and two blinking 'eyes'."""
    rng = np.random.default_rng(seed)
    bg = tuple(int(v) for v in rng.integers(30, 90, 3))
    face = tuple(int(v) for v in rng.integers(150, 255, 3))
    out = []
    for t in range(frames):
        img = Image.new("RGB", (size, size), bg)
        d = ImageDraw.Draw(img)
        cx = size / 2 + 8 * np.sin(2 * np.pi * (t / frames + seed / 7))
        cy = size / 2 + 5 * np.cos(2 * np.pi * t / frames)
        d.ellipse([cx - 16, cy - 20, cx + 16, cy + 20], fill=face)
        eye = 1 if t % 4 == 3 else 4                     # blink every 4th frame
        for ex in (cx - 7, cx + 7):
            d.ellipse([ex - 3, cy - 6 - eye, ex + 3, cy - 6 + eye], fill=(20, 20, 20))
        angle = 2 * np.pi * t / frames + seed
        x2, y2 = cx + 14 * np.cos(angle), cy + 12 + 4 * np.sin(angle)
        d.line([cx - (x2 - cx), cy + 12 - (y2 - cy - 12), x2, y2], fill=(200, 30, 30), width=3)
        out.append(np.asarray(img))
    return out


def write_videos(folder: Path, count: int = 4, frames: int = 8, size: int = 64) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"id{i}#clip.mp4"
        encode_clip(shape_frames(i, frames, size), path, 25, (size, size))
        paths.append(path)
    return paths
