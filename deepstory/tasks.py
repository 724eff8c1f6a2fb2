"""Clip tasks: frozen, self-contained descriptions of each clip's work, planned once per render.

A task names everything its clip depends on (the phrases it is made of, its frame count and seed, the
engines, the portrait) and the cache keys of what the stages make from it, so a stage is a function of
a task and can run anywhere: in this process, a worker process, or a Ray actor on another machine.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .settings import BuiltinSettings, FomSettings, SdaSettings


@dataclass(frozen=True)
class Engines:
    """Which driver and animator a render uses, with their settings: enough to build them in a worker."""
    animator: str                   # builtin | fom | still
    driver: str                     # visemes | sda | none
    max_side: int                   # longest side of an animated clip
    no_face: str                    # error | still: what a face-less portrait gets
    fom: FomSettings
    sda: SdaSettings
    builtin: BuiltinSettings
    base_dir: Path                  # the story's folder: relative model paths start here

    def make_animator(self):
        from .engines import make_animator
        return make_animator(self.animator, max_side=self.max_side, fom=self.fom, builtin=self.builtin,
                             base_dir=self.base_dir)

    def make_driver(self):
        from .engines import make_driver
        return make_driver(self.driver, sda=self.sda, base_dir=self.base_dir)


@dataclass(frozen=True)
class ClipTask:
    """One script line's clip."""
    index: int                                   # position in the story (0-based)
    speaker: str
    line_number: int                             # the line in the story file (for messages)
    sentences: tuple[str, ...]                   # the line's sentences (subtitle cues)
    sentence_spans: tuple[tuple[float, float], ...]  # each sentence's (start, end) s within the clip
    speech_key: str                              # cache key of the clip's audio + phoneme timeline
    n_frames: int                                # exact video frames (audio is padded to them)
    fps: int
    seed: int                                    # blinks, sway and SDA noise derive from it
    portrait: str                                # digest of the speaker's portrait pixels
    drive_key: str                               # cache key of the motion
    animate_key: str                             # cache key of the animated clip (H.264 at the speaker's size)

    @property
    def id(self) -> str:
        return f"clip{self.index + 1:04d}"

    @property
    def duration(self) -> float:
        return self.n_frames / self.fps


def clip_seed(story_seed: int, speaker: str, text: str) -> int:
    """Stable per clip: the same line in the same story always moves the same way."""
    h = hashlib.sha256(f"{story_seed}|{speaker}|{text}".encode()).digest()
    return int.from_bytes(h[:4], "little") & 0x7FFFFFFF
