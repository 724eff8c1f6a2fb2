"""Weights-free talking head: landmark-anchored dense warp driven by visemes or by the audio itself."""
from .audio_track import track_from_audio
from .idle import blinks, sway
from .locate import find_face
from .motion import CHANNELS
from .renderer import FaceWarpRenderer
from .rig import FaceRig, build_rig
from .visemes import lookup, track_from_phonemes

__all__ = ["CHANNELS", "FaceRig", "FaceWarpRenderer", "blinks", "build_rig", "find_face", "lookup", "sway",
           "track_from_audio", "track_from_phonemes"]
