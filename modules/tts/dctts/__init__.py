"""DCTTS voices (Text2Mel + SSRN) loading the original Deepstory / pytorch-dc-tts checkpoints.

    with load_voice("data/dctts/Geralt") as voice:
        audio, rate = voice.synthesize("Hello there.")
"""
from .hparams import DEEPSTORY, TUGSTUGI, HParams, hparams_from_mapping
from .model import DcttsModel, load_voice, voice_files

__all__ = ["DEEPSTORY", "TUGSTUGI", "HParams", "hparams_from_mapping", "DcttsModel", "load_voice", "voice_files"]
