"""The contract between the pipeline and voices.

A voice is made from a spec string (`espeak:en-us+f3`, `piper:joe`, `dctts:data/dctts/Geralt`), is a
context manager (weights load once per speaker and are freed after), and synthesizes one sentence at a
time. The pipeline trims silence, adds pauses, resamples to the story rate and caches per sentence under
`cache_key()` + `version`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from modules.phonemes import Phoneme


@dataclass(frozen=True)
class Speech:
    audio: np.ndarray                      # float32 mono in [-1, 1]
    sample_rate: int
    phonemes: tuple[Phoneme, ...] | None   # None when the voice gives no timeline


class Voice(ABC):
    kind: str = ""        # the spec prefix
    version: str = "1"
    has_timeline: bool = True   # False: the voice gives no phoneme timings (the pipeline recognises them)

    def __init__(self, spec: str):
        self.spec = spec

    def cache_key(self) -> dict[str, Any]:
        return {"spec": self.spec}

    def __enter__(self) -> "Voice":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    @abstractmethod
    def synthesize(self, text: str) -> Speech:
        """Speak one sentence of already-normalised text."""
