"""The phoneme timeline voices hand to animators."""
from __future__ import annotations

from typing import NamedTuple


class Phoneme(NamedTuple):
    """One phoneme: `symbol` as the voice names it (espeak mnemonic like 'aI', or IPA like 'aɪ'; '' or '_'
    for a pause), with `start`/`end` in seconds from the start of the audio it belongs to."""
    symbol: str
    start: float
    end: float
