"""The trivial engines: no motion, and a portrait that does not move.

Used for `animator: still` (a fast preview) and as the fallback when a portrait has no face and the
user asked to render it anyway. It is not animation and is never the default.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from .base import Animator, ClipSpeech, Driver, SpeakerSession, even_size_within


class NoMotion(Driver):
    name = "none"
    motion_kind = "none"

    def drive(self, speech: ClipSpeech) -> np.ndarray:
        return np.zeros((speech.n_frames, 0), np.float32)


class _StillSession(SpeakerSession):
    def __init__(self, frame: np.ndarray):
        self._frame = frame

    @property
    def output_size(self) -> tuple[int, int]:
        return self._frame.shape[1], self._frame.shape[0]

    def render(self, motion: np.ndarray, speech: ClipSpeech) -> Iterator[np.ndarray]:
        for _ in range(speech.n_frames):
            yield self._frame


class StillAnimator(Animator):
    name = "still"
    accepts = ("none", "visemes", "sda")
    default_driver = "none"

    def __init__(self, max_side: int = 1024):
        self.max_side = max_side

    def cache_key(self) -> dict:
        return {"max_side": self.max_side}

    def speaker(self, portrait: np.ndarray, *, label: str = "portrait") -> SpeakerSession:
        from .resize import resize_rgb
        h, w = portrait.shape[:2]
        size = even_size_within(w, h, self.max_side)
        return _StillSession(resize_rgb(portrait, size))
