"""espeak-ng through ctypes: audio plus phoneme events whose timing matches the audio."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from deepstory.errors import VoiceError
from deepstory.voices import default_voice_specs, list_voices, resolve_voice
from modules.tts import espeak

SENTENCE = "The night was cold, and the wind howled; nobody came."


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if x.size else 0.0


@pytest.mark.parametrize("voice", ["en-us", "en", "en-gb-scotland"])
def test_end_event_equals_audio_length(voice):
    out = espeak.synthesize(SENTENCE, voice)
    assert out.sample_rate == 22050
    assert out.end_sample == len(out.pcm) > 22050


def test_variant_voices_end_within_their_short_tail():
    out = espeak.synthesize(SENTENCE, "en-us+f3")
    assert out.end_sample <= len(out.pcm) <= out.end_sample + int(0.1 * out.sample_rate)


def test_pause_events_fall_in_silence_and_vowels_in_sound():
    out = espeak.synthesize(SENTENCE, "en-us")
    audio = out.pcm.astype(np.float32) / 32768
    level = _rms(audio)
    bounds = [s for _, s in out.phonemes] + [out.end_sample]
    starts = [s for _, s in out.phonemes]
    assert starts == sorted(starts)
    pauses = vowels = 0
    for (sym, a), b in zip(out.phonemes, bounds[1:]):
        inner = audio[a + 220:b - 220]            # 10 ms in from each edge
        if sym.startswith("_") and b - a > 0.1 * out.sample_rate:
            pauses += 1
            assert _rms(inner) < 0.05 * level, f"pause {sym} at {a} is not silent"
        if sym.strip("',") in ("aI", "oU", "a", "aU", "O:", "A:", "I", "E", "@", "V", "u:", "i:") and b - a > 800:
            vowels += 1
            assert _rms(inner) > 0.3 * level, f"vowel {sym} at {a} is quiet"
    assert pauses >= 2 and vowels >= 5


def test_voice_adapter_gives_timeline_in_seconds():
    voice = resolve_voice("espeak:en-gb+f3", rate=190, pitch=70)
    speech = voice.synthesize("Hello there.")
    assert speech.audio.dtype == np.float32 and np.abs(speech.audio).max() <= 1.0
    assert speech.phonemes[0].start >= 0
    assert all(p.end >= p.start for p in speech.phonemes)
    assert abs(speech.phonemes[-1].end - len(speech.audio) / speech.sample_rate) < 0.1
    assert [p.start for p in speech.phonemes] == sorted(p.start for p in speech.phonemes)


def test_rate_and_pitch_change_the_voice():
    slow = resolve_voice("espeak:en-us", rate=120).synthesize(SENTENCE)
    fast = resolve_voice("espeak:en-us", rate=300).synthesize(SENTENCE)
    assert len(slow.audio) > 1.5 * len(fast.audio)


def test_threads_get_consistent_results():
    expected = espeak.synthesize(SENTENCE, "en-us")
    results, errors = [], []

    def work():
        try:
            results.append(espeak.synthesize(SENTENCE, "en-us"))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4
    # espeak varies lengths by a few ms per call; interleaved calls would mix voices/events instead
    for r in results:
        assert abs(len(r.pcm) - len(expected.pcm)) < 0.02 * len(expected.pcm)
        assert r.end_sample == len(r.pcm)
        assert [s for s, _ in r.phonemes] == [s for s, _ in expected.phonemes]


def test_unknown_and_malformed_voices_are_refused():
    with pytest.raises(VoiceError, match="unknown espeak voice"):
        resolve_voice("espeak:xx-nope")
    with pytest.raises(VoiceError, match="bad espeak voice"):
        resolve_voice("espeak:../../etc/passwd")
    with pytest.raises(VoiceError, match="unknown voice kind"):
        resolve_voice("festival:kal")
    with pytest.raises(VoiceError, match="prefix"):
        resolve_voice("en-us")


def test_default_voices_are_distinct_and_stable():
    a = default_voice_specs(["Narrator", "Alice", "Bob", "Carol"])
    b = default_voice_specs(["Narrator", "Alice", "Bob", "Carol"])
    assert a == b and len(set(a.values())) == 4
    for spec, rate, pitch in a.values():
        resolve_voice(spec, rate=rate, pitch=pitch)


def test_voice_list_has_english_variants():
    specs = list_voices()
    assert "espeak:en-us" in specs and "espeak:en-us+f3" in specs
