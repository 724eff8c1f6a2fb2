"""Errors a user can cause. Each message says what is wrong and what to do about it."""
from __future__ import annotations

from modules.errors import ModelInputError


class DeepstoryError(Exception):
    """Base of every user-facing error; the CLI prints it without a traceback and exits 2."""


class StoryError(DeepstoryError):
    """The story script or its front matter is unusable. `problems`: every problem found (the message is
    the first, with a count of the others), so an editor can list them all at once."""

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems) if problems else [message]
        more = len(self.problems) - 1
        super().__init__(message if not more else f"{message} (and {more} more problem{'s' if more > 1 else ''})")


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
