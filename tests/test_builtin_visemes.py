"""Built-in animator, phoneme-driven: visemes on espeak-ng speech with its phoneme timeline.

Speech: espeak-ng (espeakng-loader wheel) via modules.tts.espeak, en-us. Portrait: skimage's astronaut.
Openings are measured by MediaPipe's face mesh on the rendered frames.
"""
from __future__ import annotations

import numpy as np
import pytest

from builtin_measure import FPS, openings
from deepstory.engines.base import ClipSpeech
from deepstory.engines.builtin import BuiltinAnimator, VisemeDriver

TEXT = ("Bob may buy a map, but my father parked the car by the barn. "
        "Pam bought a big apple pie, and Mum ate part of it on top of the hot dock.")
STRESS = "'ˈˌ,%=!"
BILABIAL = {"m", "b", "p"}
OPEN_VOWELS = {"a", "aa", "A", "A:", "A@", "aI", "aU", "aI@", "aU@", "a#", "V", "0", "O:"}


def _clean(symbol: str) -> str:
    return "".join(ch for ch in symbol if ch not in STRESS)


@pytest.fixture(scope="module")
def rendered(astronaut):
    from deepstory.voices.espeak import EspeakVoice
    speech = EspeakVoice("espeak:en-us").synthesize(TEXT)
    n = int(np.ceil(len(speech.audio) / speech.sample_rate * FPS))
    clip = ClipSpeech(speech.audio, speech.sample_rate, speech.phonemes, n, FPS, seed=11)
    motion = VisemeDriver().drive(clip)
    frames = list(BuiltinAnimator(max_side=512).speaker(astronaut).render(motion, clip))
    return speech.phonemes, n, openings(frames)


def _rank(values: np.ndarray, x: float) -> float:
    return float(np.mean(values < x))


def test_visemes_close_on_bilabials_and_open_on_open_vowels(rendered):
    phonemes, n, opening = rendered
    assert np.isfinite(opening).all()
    speech = np.zeros(n, bool)
    for p in phonemes:
        if _clean(p.symbol) not in ("", "_", "_:", "_!", "_|", "_^_"):
            speech[int(p.start * FPS):int(np.ceil(p.end * FPS))] = True
    pool = opening[speech]
    mid = lambda p: min(n - 1, int((p.start + p.end) / 2 * FPS))  # noqa: E731  frame showing the middle
    closures = [_rank(pool, opening[mid(p)]) for p in phonemes if _clean(p.symbol) in BILABIAL]
    vowels = [_rank(pool, opening[mid(p)]) for p in phonemes if _clean(p.symbol) in OPEN_VOWELS]
    assert len(closures) >= 10 and len(vowels) >= 10, (len(closures), len(vowels))
    shut = np.mean(np.array(closures) <= 0.30)
    wide = np.mean(np.array(vowels) >= 0.60)
    assert shut >= 0.75, f"only {shut:.0%} of m/b/p are in the lowest 30% of openings: {np.round(closures, 2)}"
    assert wide >= 0.75, f"only {wide:.0%} of open vowels are in the top 40% of openings: {np.round(vowels, 2)}"
