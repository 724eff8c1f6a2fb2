"""The contracts between the pipeline and the engines that make faces move.

A *driver* turns a clip's speech into motion (a per-frame array: mouth/blink/head parameters for the
built-in animator, a 128x96 face video for SDA). An *animator* turns a portrait plus that motion into
frames. Both are context managers so weights load once and are freed after (one `with` per story for a
driver, one `speaker(...)` block per portrait for an animator's source-side work).

Names: an *animator* here is this engine contract (`BuiltinAnimator`, `FomEngine`, `StillAnimator`); the
model runners behind engines live in modules/ (`modules.fom.FomAnimator` runs FOM batched,
`modules.sda.SdaModel` is SDA, `modules.tts.dctts.DcttsModel` is DCTTS).

The pipeline caches each stage's result under a hash of the stage's inputs plus `cache_key()`, so every
setting that changes the output must be in `cache_key()`, and `version` must change when the code's
output changes.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from modules.errors import NoFaceError
from modules.phonemes import Phoneme

from ..errors import PortraitError


@dataclass(frozen=True)
class ClipSpeech:
    """What a driver gets for one clip."""
    audio: np.ndarray            # float32 mono in [-1, 1]
    sample_rate: int
    phonemes: tuple[Phoneme, ...] | None   # None when the voice gives no timeline
    n_frames: int                # exact frame count the clip must have
    fps: float
    seed: int                    # stable per clip; blinks/sway derive from it
    timeline: str = "exact"      # "exact": the voice's own timings; "transcript": words from a recogniser


class _Engine(ABC):
    """What drivers and animators share: a name, a code version, the settings that change their output,
    and a `with` block that holds their weights."""
    name: str = ""
    version: str = "1"

    def cache_key(self) -> dict[str, Any]:
        return {}

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class Driver(_Engine):
    #: the `kind` of motion it produces; animators list the kinds they accept
    motion_kind: str = ""

    @abstractmethod
    def drive(self, speech: ClipSpeech) -> np.ndarray:
        """Motion for the clip; axis 0 has exactly `speech.n_frames` entries."""


class SpeakerSession(ABC):
    """Source-side work for one portrait, done once; `render` runs per clip."""

    def __enter__(self) -> "SpeakerSession":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    @abstractmethod
    def render(self, motion: np.ndarray, speech: ClipSpeech) -> Iterator[np.ndarray]:
        """Yield exactly `speech.n_frames` frames, HxWx3 uint8 RGB, all of `output_size`."""

    @property
    @abstractmethod
    def output_size(self) -> tuple[int, int]:
        """(width, height) of the frames `render` yields; both even."""


class Animator(_Engine):
    accepts: tuple[str, ...] = ()      # motion kinds it can render
    default_driver: str = ""

    def has_face(self, portrait: np.ndarray) -> bool:
        """Whether `speaker()` will find the face it needs; cheap, so the pipeline can refuse a face-less
        portrait before any work. Animators that need no face (or cannot tell cheaply) say True."""
        return True

    def open_speaker(self, portrait: np.ndarray, *, label: str, speaker: str, no_face: str) -> SpeakerSession:
        """`speaker()` with the face-less-portrait policy: `no_face: still` shows such a portrait without
        motion, `error` refuses it with a message saying what to do."""
        try:
            return self.speaker(portrait, label=label)
        except NoFaceError:
            if no_face == "still":
                from .still import StillAnimator
                return StillAnimator(max_side=getattr(self, "max_side", 1024)).speaker(portrait, label=label)
            raise no_face_error(label, speaker) from None

    @abstractmethod
    def speaker(self, portrait: np.ndarray, *, label: str = "portrait") -> SpeakerSession:
        """Prepare one portrait (HxWx3 uint8 RGB). Raises `modules.errors.NoFaceError` (message naming
        `label`) when the animator needs a face and finds none."""


def no_face_error(label: str, speaker: str) -> PortraitError:
    return PortraitError(f"no face found in portrait {label} (speaker {speaker}); use an image with a "
                         f"clearly visible face, or set 'no_face: still' in the front matter to show it "
                         f"without motion")


def even_size_within(width: int, height: int, longest: int) -> tuple[int, int]:
    """Scale (width, height) down (never up) so the longer side is <= `longest`; both even, >= 2."""
    scale = min(1.0, longest / max(width, height))
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return w, h
