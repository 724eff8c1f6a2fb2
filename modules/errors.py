"""Errors model code raises for problems a user can cause (bad checkpoint, no face in an image).

The pipeline (`deepstory`) turns these into `DeepstoryError`s; they carry a message meant for a person.
"""


class ModelInputError(ValueError):
    """Input a user supplied cannot be used by a model."""


class CheckpointError(ModelInputError):
    """A checkpoint file is missing, corrupt, untrusted or does not match the model."""


class NoFaceError(ModelInputError):
    """No face could be found in an image that needs one."""
