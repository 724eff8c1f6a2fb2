"""Caption timing and burned-in captions.

Cues follow the speech, but a cue that ends when a short line's speech ends flashes by: each is held on
screen for at least MIN_CUE_S, never past the start of the next cue. `captions: burn` in the front matter
also draws them into the video (white text on a translucent dark band, sized to the frame), applied at
assembly with the framing, so switching it re-animates nothing.
"""
from __future__ import annotations

import textwrap
from dataclasses import replace

import numpy as np

from .subtitles import Cue

MIN_CUE_S = 1.2              # a reader needs about a second for even a short caption
CAPTION_MODES = ("off", "burn")


def hold_cues(cues: list[Cue], duration: float) -> list[Cue]:
    """Each cue lasts at least MIN_CUE_S, ending no later than the next cue's start or the video's end."""
    out = []
    for i, c in enumerate(cues):
        limit = cues[i + 1].start if i + 1 < len(cues) else duration
        out.append(replace(c, end=max(c.end, min(c.start + MIN_CUE_S, limit))))
    return out


class CaptionPainter:
    """Draws one caption text onto frames of a given size (the rendered text is made once per cue)."""

    def __init__(self, size: tuple[int, int]):
        from PIL import ImageFont
        self.w, self.h = size
        self.font_px = max(12, int(round(min(self.w, self.h * 16 / 9) * 0.032)))
        self.font = ImageFont.load_default(size=self.font_px)
        self._made: dict[str, tuple[np.ndarray, np.ndarray, int, int]] = {}

    def _render(self, text: str) -> tuple[np.ndarray, np.ndarray, int, int]:
        from PIL import Image, ImageDraw
        chars = max(12, int(self.w * 0.86 / (self.font_px * 0.55)))
        lines = textwrap.wrap(text, chars)[:3] or [""]
        pad, gap = self.font_px // 2, self.font_px // 4
        heights = [self.font.getbbox(ln)[3] for ln in lines]
        widths = [self.font.getbbox(ln)[2] for ln in lines]
        bw, bh = min(self.w, max(widths) + 2 * pad), sum(heights) + gap * (len(lines) - 1) + 2 * pad
        img = Image.new("RGBA", (bw, bh), (0, 0, 0, 150))
        draw = ImageDraw.Draw(img)
        y = pad
        for ln, lh, lw in zip(lines, heights, widths):
            draw.text(((bw - lw) // 2, y), ln, font=self.font, fill=(255, 255, 255, 255))
            y += lh + gap
        rgba = np.asarray(img, np.float32)
        x0, y0 = (self.w - bw) // 2, max(0, self.h - bh - int(self.h * 0.06))
        return rgba[..., :3], rgba[..., 3:] / 255.0, x0, y0

    def paint(self, frame: np.ndarray, text: str) -> np.ndarray:
        if not text:
            return frame
        if text not in self._made:
            self._made[text] = self._render(text)
        rgb, alpha, x0, y0 = self._made[text]
        h, w = rgb.shape[:2]
        out = frame.copy()
        region = out[y0:y0 + h, x0:x0 + w].astype(np.float32)
        out[y0:y0 + h, x0:x0 + w] = (region * (1 - alpha) + rgb * alpha).round().astype(np.uint8)
        return out


def caption_at(cues: list[tuple[float, float, str]], t: float) -> str:
    for a, b, text in cues:
        if a <= t < b:
            return text
    return ""
