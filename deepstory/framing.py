"""Framing a story like film: one frame size for the whole story (`aspect`) and how each speaker's clip fills
it (`framing`), applied at assembly so changing either never re-animates a clip.

- `fill` (default): each clip is scaled and cropped so that every speaker's face has the same size and sits
  at the same place in the frame (the shot / reverse-shot of film); no bars. The common face size is the
  largest that lets every portrait still cover the whole frame.
- `blur`: the whole clip, fitted inside the frame, over a blurred and darkened copy of itself filling it.
- `fit`: the whole clip, letterboxed on black (the old behaviour).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engines.base import even_size_within
from .engines.resize import letterbox, resize_rgb

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4), "source": None}
FRAMINGS = ("fill", "fit", "blur")
FACE_HEIGHT = 0.42          # fill: the face box's height as a share of the frame's height
FACE_CENTRE = (0.5, 0.45)   # fill: where the face box's centre sits (share of width, height)
MAX_FACE_HEIGHT = 0.8       # fill: never zoom in further than this to keep faces aligned
BLUR_DARKEN = 0.55          # blur: the background's brightness


@dataclass(frozen=True)
class ClipFrame:
    """How one speaker's clip (of `clip_size`) becomes a story frame of `size`."""
    mode: str                                   # fill | fit | blur
    size: tuple[int, int]                       # story frame (w, h)
    clip_size: tuple[int, int]                  # the animated clip's (w, h)
    crop: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)   # fill: (x0, y0, x1, y1) in clip pixels

    def key(self) -> dict:
        return {"mode": self.mode, "size": list(self.size), "clip": list(self.clip_size),
                "crop": [round(v, 3) for v in self.crop]}

    def apply(self, frame: np.ndarray) -> np.ndarray:
        w, h = self.size
        if self.mode == "fit":
            return letterbox(frame, self.size)
        if self.mode == "blur":
            return _blurred(frame, self.size)
        import cv2
        x0, y0, x1, y1 = self.crop
        sx, sy = w / (x1 - x0), h / (y1 - y0)
        m = np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy]], np.float32)
        interp = cv2.INTER_AREA if sx < 1 else cv2.INTER_LINEAR
        return cv2.warpAffine(frame, m, (w, h), flags=interp, borderMode=cv2.BORDER_REPLICATE)


def _blurred(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2
    w, h = size
    fh, fw = frame.shape[:2]
    cover = max(w / fw, h / fh)
    bw, bh = max(w, int(np.ceil(fw * cover))), max(h, int(np.ceil(fh * cover)))
    small = cv2.resize(frame, (max(1, bw // 16), max(1, bh // 16)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 2.0)
    bg = cv2.resize(small, (bw, bh), interpolation=cv2.INTER_LINEAR)
    x, y = (bw - w) // 2, (bh - h) // 2
    out = (bg[y:y + h, x:x + w].astype(np.float32) * BLUR_DARKEN).astype(np.uint8)
    fit = min(w / fw, h / fh)
    nw, nh = max(2, int(round(fw * fit))), max(2, int(round(fh * fit)))
    x0, y0 = (w - nw) // 2, (h - nh) // 2
    out[y0:y0 + nh, x0:x0 + nw] = resize_rgb(frame, (nw, nh))
    return out


def story_frame_size(aspect: str, clip_sizes: list[tuple[int, int]], max_side: int) -> tuple[int, int]:
    """The story's frame (w, h): `source` keeps the largest clip; a ratio takes the longest side of the
    largest clip (at most `max_side`) as its own longest side."""
    widest = max(w for w, _ in clip_sizes)
    tallest = max(h for _, h in clip_sizes)
    if ASPECTS[aspect] is None:
        return widest, tallest
    aw, ah = ASPECTS[aspect]
    longest = min(max_side, max(widest, tallest))
    return even_size_within(aw * 1000, ah * 1000, longest)


def plan_frames(mode: str, size: tuple[int, int],
                clips: dict[str, tuple[tuple[int, int], tuple[float, float, float, float] | None]]) -> dict[str, ClipFrame]:
    """One ClipFrame per speaker from its clip size and face box in clip pixels (None: no face found)."""
    if mode != "fill":
        return {name: ClipFrame(mode, size, cs) for name, (cs, _) in clips.items()}
    w, h = size
    # the common face height (in frame pixels): the wanted one, or larger when a portrait could not cover
    # the frame with its face at FACE_CENTRE at that size (capped: a face at the very edge of its portrait
    # cannot be centred without filling the frame; that one is shifted instead)
    target = FACE_HEIGHT * h
    for (cw, ch), box in clips.values():
        if box is not None:
            fx, fy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            cx, cy = FACE_CENTRE
            need = max(w / cw, h / ch, cx * w / max(fx, 1e-6), (1 - cx) * w / max(cw - fx, 1e-6),
                       cy * h / max(fy, 1e-6), (1 - cy) * h / max(ch - fy, 1e-6))
            target = max(target, (box[3] - box[1]) * need)
    target = min(target, MAX_FACE_HEIGHT * h)
    out = {}
    for name, ((cw, ch), box) in clips.items():
        if box is None:                           # no face: centre crop that covers the frame
            s = max(w / cw, h / ch)
            fx, fy, cxr, cyr = cw / 2, ch / 2, 0.5, 0.5
        else:
            s = target / max(box[3] - box[1], 1e-6)
            fx, fy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            cxr, cyr = FACE_CENTRE
        vw, vh = w / s, h / s                     # the crop's size in clip pixels
        x0 = min(max(fx - cxr * vw, 0.0), cw - vw)
        y0 = min(max(fy - cyr * vh, 0.0), ch - vh)
        out[name] = ClipFrame("fill", size, (cw, ch), (x0, y0, x0 + vw, y0 + vh))
    return out
