"""Errors a user can cause. Each message says what is wrong and what to do about it."""
from __future__ import annotations

from modules.errors import ModelInputError


class DeepstoryError(Exception):
    """Base of every user-facing error; the CLI prints it without a traceback and exits 2."""


class StoryError(DeepstoryError):
    """The story script or its front matter is unusable."""


class VoiceError(DeepstoryError):
    """A voice spec is unknown or a voice cannot be loaded."""


class PortraitError(DeepstoryError):
    """A portrait is missing, unreadable or has no face."""


class EngineError(DeepstoryError):
    """An animator/driver cannot run (missing checkpoint, bad settings)."""


class OutputError(DeepstoryError):
    """The output cannot be written."""


# What the CLI prints as one line and the studio answers with a 4xx: ours, and bad input to a model
# (a checkpoint that does not fit its config, an image a model cannot take).
USER_ERRORS: tuple[type[Exception], ...] = (DeepstoryError, ModelInputError)
