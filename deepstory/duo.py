"""`layout: duo`: two-speaker scenes side by side. The speaking one is its animated clip; the listener idles
(blinks, the breathing sway, mouth closed: the built-in animator on silence, weights-free whatever the
story's animator), each framed into half the story frame by the story's framing rule, so with `fill` both
faces have the same size and height.

A scene is a run of consecutive lines between exactly two speakers (left: the one who speaks first); a
stretch with one speaker stays a single shot. Composition happens in the per-clip frame pass, so switching
the layout never re-animates a clip; the listener's idle frames are made there too (cheap) and cached with
the framed clip.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from .framing import ClipFrame

LAYOUTS = ("single", "duo")
IDLE_VERSION = "1"


@dataclass(frozen=True)
class Listener:
    """The other speaker of a duo clip, idling on its side."""
    digest: str                        # the listener portrait's pixels (cache key)
    frame: ClipFrame                   # how its idle clip fills its half
    seed: int                          # blinks and sway of the idle motion
    max_side: int                      # the idle clip's longest side (= the story's clips)
    flow_res: int                      # built-in animator settings (BuiltinSettings)
    mouth: float
    image: np.ndarray = field(compare=False, repr=False)   # the listener's portrait (RGB uint8)

    def key(self) -> dict:
        return {"portrait": self.digest, "frame": self.frame.key(), "seed": self.seed, "max_side": self.max_side,
                "flow_res": self.flow_res, "mouth": self.mouth, "idle": IDLE_VERSION}


@dataclass(frozen=True)
class Duo:
    """A clip shown as one half of a side-by-side frame."""
    speaker_left: bool                 # the speaking speaker's side
    size: tuple[int, int]              # the whole story frame (w, h)
    listener: Listener

    def key(self) -> dict:
        return {"left": self.speaker_left, "size": list(self.size), "listener": self.listener.key()}


def half_size(size: tuple[int, int]) -> tuple[int, int]:
    """The left half's (w, h); the right half gets the rest of the width."""
    return size[0] // 2, size[1]


def scenes(speakers: list[str]) -> list[tuple[str, str] | None]:
    """Per clip: (left, right) speakers of its two-speaker scene, or None for a single shot."""
    out: list[tuple[str, str] | None] = []
    i = 0
    while i < len(speakers):
        seen: list[str] = []
        j = i
        while j < len(speakers) and (speakers[j] in seen or len(seen) < 2):
            if speakers[j] not in seen:
                seen.append(speakers[j])
            j += 1
        out += [tuple(seen) if len(seen) == 2 else None] * (j - i)
        i = j
    return out


def idle_frames(listener: Listener, n: int, fps: int) -> Iterator[np.ndarray]:
    """The listener's portrait idling for n frames at its clip size (a face-less portrait holds still)."""
    from .engines.base import ClipSpeech
    from .engines.builtin import BuiltinAnimator, VisemeDriver
    from .voice_stage import RATE
    speech = ClipSpeech(audio=np.zeros(int(round(n / fps * RATE)), np.float32), sample_rate=RATE, phonemes=None,
                        n_frames=n, fps=fps, seed=listener.seed)
    animator = BuiltinAnimator(listener.max_side, flow_res=listener.flow_res, on_no_face="still",
                               mouth=listener.mouth)
    session = animator.speaker(listener.image, label="listener")
    return iter(session.render(VisemeDriver().drive(speech), speech))


def compose(speaking: Iterator[np.ndarray], duo: Duo, speaker_frame: ClipFrame, n: int, fps: int
            ) -> Iterator[np.ndarray]:
    """Side-by-side story frames: the speaker's clip and the listener's idle, each framed into its half."""
    for a, b in zip(speaking, idle_frames(duo.listener, n, fps)):
        talk, idle = speaker_frame.apply(a), duo.listener.frame.apply(b)
        yield side_by_side(*((talk, idle) if duo.speaker_left else (idle, talk)), duo.size)


def side_by_side(left: np.ndarray, right: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """One story frame of `size` (w, h) from two pictures framed into its halves."""
    w, h = size
    lw = half_size(size)[0]
    out = np.empty((h, w, 3), np.uint8)
    out[:, :lw] = left[:, :lw]
    out[:, lw:] = right[:, :w - lw]
    return out
