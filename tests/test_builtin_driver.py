"""The viseme driver: viseme table in both notations, coarticulation, audio fallback, blinks and sway.

Inputs: espeak-ng speech with its phoneme timeline (espeakng-loader wheel) and hand-written phoneme
timelines; no rendering here.
"""
from __future__ import annotations

import numpy as np
import pytest

from deepstory.engines.base import ClipSpeech
from deepstory.engines.builtin import VisemeDriver
from modules.facewarp import lookup, track_from_phonemes
from modules.facewarp.idle import blinks, sway
from modules.facewarp.motion import BLINK, CHANNELS, OPEN, PITCH, ROLL, ROUND, YAW
from modules.phonemes import Phoneme

FPS = 25


@pytest.mark.parametrize("espeak, ipa", [
    ("m", "m"), ("aI", "aɪ"), ("O:", "ɔː"), ("u:", "uː"), ("@", "ə"), ("oU", "oʊ"), ("T", "θ"),
    ("S", "ʃ"), ("tS", "tʃ"), ("N", "ŋ"), ("A:", "ɑː"), ("i:", "iː"), ("aU", "aʊ"), ("3:", "ɜː"),
])
def test_espeak_mnemonics_and_ipa_name_the_same_viseme(espeak, ipa):
    assert lookup(espeak) == lookup(ipa)
    # espeak 1.52 and IPA mark stress on the symbol
    assert lookup("'" + espeak) == lookup(espeak) == lookup("ˈ" + ipa) == lookup("ˌ" + ipa)


def test_viseme_shapes():
    for closed in ("m", "b", "p", "_:", "_", ""):
        assert lookup(closed).open == 0.0
    assert min(lookup(v).open for v in ("a", "A:", "aI", "aɪ", "æ")) > 0.8
    assert lookup("u:").round > 0.8 and lookup("oU").round > 0.6 and lookup("i:").round == 0.0
    assert lookup("i:").wide > 0.5 > lookup("u:").wide
    assert 0 < lookup("zzz-unknown").open < 0.5        # unknown sounds still move the mouth


def test_coarticulation_closes_on_bilabial_between_open_vowels():
    # "ama" spoken slowly: the m closes the lips fully at its middle, the a's open them
    tl = [Phoneme("a", 0.0, 0.24), Phoneme("m", 0.24, 0.34), Phoneme("a", 0.34, 0.6), Phoneme("_:", 0.6, 1.0)]
    track = track_from_phonemes(tl, 25, FPS)[:, 0]
    assert track[int(0.29 * FPS)] < 0.05
    assert track[int(0.12 * FPS)] > 0.7 and track[int(0.47 * FPS)] > 0.7
    assert track[int(0.9 * FPS):].max() < 0.02              # pause at the end: shut
    # the shape changes smoothly: no jump larger than the full range in one frame
    assert np.abs(np.diff(track)).max() < 0.9


def _espeak_clip(seed: int, text: str = "Hello there, my name is Alice.") -> ClipSpeech:
    from deepstory.voices.espeak import EspeakVoice
    speech = EspeakVoice("espeak:en-us").synthesize(text)
    n = int(np.ceil(len(speech.audio) / speech.sample_rate * FPS)) + 25   # 1 s of trailing silence
    audio = np.pad(speech.audio, (0, n * speech.sample_rate // FPS - len(speech.audio)))
    return ClipSpeech(audio, speech.sample_rate, speech.phonemes, n, FPS, seed)


def test_driver_output_shape_and_determinism():
    clip = _espeak_clip(4)
    d = VisemeDriver()
    m = d.drive(clip)
    assert m.shape == (clip.n_frames, len(CHANNELS)) and m.dtype == np.float32
    assert np.array_equal(m, VisemeDriver().drive(clip))
    other = d.drive(ClipSpeech(clip.audio, clip.sample_rate, clip.phonemes, clip.n_frames, FPS, 5))
    assert not np.array_equal(m[:, YAW:], other[:, YAW:])
    assert np.array_equal(m[:, :ROUND + 1], other[:, :ROUND + 1])   # mouth depends on speech only
    assert m[-20:, OPEN].max() == 0.0                               # trailing silence: mouth shut


def test_audio_fallback_follows_speech_and_shuts_in_silence():
    clip = _espeak_clip(1)
    no_timeline = ClipSpeech(clip.audio, clip.sample_rate, None, clip.n_frames, FPS, clip.seed)
    m = VisemeDriver().drive(no_timeline)
    with_timeline = VisemeDriver().drive(clip)
    assert m[-20:, OPEN].max() == 0.0
    assert m[:, OPEN].max() > 0.6
    # the audio-only and the phoneme-driven mouths broadly agree
    assert np.corrcoef(m[:, OPEN], with_timeline[:, OPEN])[0, 1] > 0.5
    silent = ClipSpeech(np.zeros(16000, np.float32), 16000, None, 25, FPS, 0)
    assert VisemeDriver().drive(silent)[:, OPEN].max() == 0.0


def test_blinks_every_two_to_six_seconds_closing_fast_and_reopening_in_100_to_250_ms():
    rng = np.random.default_rng(123)
    track = blinks(60 * FPS, FPS, rng)
    shut = track > 0.5
    starts = np.flatnonzero(shut[1:] & ~shut[:-1]) + 1
    gaps = np.diff(starts) / FPS
    assert 10 <= len(starts) <= 30
    assert gaps.min() >= 1.9 and gaps.max() <= 6.1 and gaps.std() > 0.5        # irregular
    lengths = [np.argmin(shut[s:]) for s in starts]
    assert all(1 <= n <= 4 for n in lengths)                                 # 40-160 ms at 25 fps
    assert all(track[s:s + 4].max() > 0.95 for s in starts)                 # the lids really shut
    for s in starts:                                                        # from shut to open again
        peak = s + int(np.argmax(track[s:s + 4]))
        before = peak - int(np.argmax(track[peak::-1] < 0.05))
        after = peak + int(np.argmax(track[peak:] < 0.05))
        assert 100 <= (after - peak) * 1000 / FPS <= 250                     # reopening
        assert (peak - before) < (after - peak)                             # closing is the faster half


def test_head_sway_is_slow_and_a_few_degrees():
    angles = sway(30 * FPS, FPS, np.random.default_rng(9))
    assert np.abs(angles[:, 0]).max() <= 2.0 and np.abs(angles[:, 1]).max() <= 1.2
    assert np.abs(angles[:, 2]).max() <= 1.0
    assert angles[:, 0].std() > 0.3
    assert np.abs(np.diff(angles, axis=0)).max() < 0.2                      # degrees per frame: slow
    m = VisemeDriver().drive(_espeak_clip(2))
    assert np.abs(m[:, [YAW, PITCH, ROLL]]).max() < 3.0 and m[:, BLINK].max() <= 1.0


def test_gaze_holds_a_point_then_jumps_within_a_small_range():
    from modules.facewarp.idle import gaze
    g = gaze(60 * FPS, FPS, np.random.default_rng(5))
    assert g.shape == (60 * FPS, 2)
    assert np.abs(g[:, 0]).max() <= 0.5 and np.abs(g[:, 1]).max() <= 0.25
    moving = np.abs(np.diff(g, axis=0)).max(axis=1) > 1e-6
    assert moving.mean() < 0.05                                  # it holds most of the time ...
    jumps = np.flatnonzero(moving[1:] & ~moving[:-1]) + 1
    assert 12 <= len(jumps) + int(moving[0]) <= 60               # ... and moves every 1-4 s
    assert np.array_equal(g, gaze(60 * FPS, FPS, np.random.default_rng(5)))


def test_stressed_syllables_get_a_small_nod():
    from deepstory.engines.builtin import stressed_times
    from modules.phonemes import Phoneme
    clip = _espeak_clip(2)
    times = stressed_times(clip.phonemes)
    assert len(times) >= 3                                        # hello, there, name, Alice
    flat = ClipSpeech(clip.audio, clip.sample_rate, tuple(Phoneme(p.symbol.replace("'", ""), p.start, p.end)
                                                           for p in clip.phonemes), clip.n_frames, FPS, clip.seed)
    diff = VisemeDriver().drive(clip)[:, PITCH] - VisemeDriver().drive(flat)[:, PITCH]
    assert diff.min() >= -1e-6 and diff.max() > 0.4                # only extra dips, of a fraction of a degree
    for when in times:                                            # a peak shortly after each stressed onset
        i = int(round(when * FPS))
        assert diff[i:i + 5].max() > 0.3, when
