"""The first frame of each speaker as the render will frame it, without animating anything: each portrait
at its clip size (what an animator's first frame shows), through the same framing plans the assemble
stage uses (assembly.frame_plans; for `layout: duo` each half planned as assembly.duo_plans does, and
composed side by side as duo.compose does)."""
from __future__ import annotations

import numpy as np

from . import duo as duo_layout
from .assembly import clip_size, frame_plans, story_frame_size
from .cast import Cast
from .engines.resize import resize_rgb
from .portraits import Portrait
from .story import Story


def first_scene(story: Story) -> tuple[str, str] | None:
    """(left, right) speakers of the story's first two-speaker scene under `layout: duo`, else None."""
    if story.layout != "duo":
        return None
    return next((s for s in duo_layout.scenes([ln.speaker for ln in story.lines]) if s is not None), None)


def _still(story: Story, portrait: Portrait) -> np.ndarray:
    return np.ascontiguousarray(resize_rgb(portrait.image, clip_size(story, portrait)))


def speaker_frames(story: Story, portraits: dict[str, Portrait]) -> dict[str, np.ndarray]:
    """name -> that speaker's first frame as a single shot of the story frame (RGB uint8)."""
    cast = Cast({}, portraits)
    plans = frame_plans(story, cast, story_frame_size(story, cast))
    return {name: plans[name].apply(_still(story, p)) for name, p in portraits.items()}


def duo_frame(story: Story, portraits: dict[str, Portrait], scene: tuple[str, str]) -> np.ndarray:
    """The side-by-side frame of a duo scene: each speaker framed into its half (left speaks first)."""
    cast = Cast({}, portraits)
    size = story_frame_size(story, cast)
    halves = frame_plans(story, cast, duo_layout.half_size(size))     # all speakers, as duo_plans plans them
    left, right = (halves[n].apply(_still(story, portraits[n])) for n in scene)
    return duo_layout.side_by_side(left, right, size)
