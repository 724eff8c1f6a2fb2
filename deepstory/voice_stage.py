"""The voice stage: every phrase synthesized once (cached), then each clip's speech built once (cached).

A phrase is trimmed of leading/trailing silence and resampled to the story rate. A clip's speech is its
line's phrases joined by punctuation pauses, led by the pause before a new line, padded to a whole number
of video frames (so every clip's frame count is exact and there is no drift), with its phoneme timeline
and each sentence's span; later stages read it from the cache by `ClipTask.speech_key`.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from modules.phonemes import Phoneme

from . import audio as audio_mod
from .cache import StageCache, stage_key
from .cast import Cast
from .engines.base import ClipSpeech
from .errors import DeepstoryError
from .progress import Reporter, check_cancel
from .story import Line, Story
from .text import LINE_PAUSE, PARAGRAPH_PAUSE
from .voices import Voice

RATE = audio_mod.STORY_RATE
VOICE_STAGE_VERSION = "1"      # trimming/resampling of phrases
SPEECH_VERSION = "1"           # how phrases and pauses become a clip's audio


def _recognise_timelines(voice: Voice) -> bool:
    """Voices without phoneme timings (DCTTS) get them from the recogniser when it is installed."""
    if voice.has_timeline:
        return False
    from .recognizer import recognizer_available
    return recognizer_available()


def voice_key(voice: Voice, text: str) -> str:
    inputs = {"v": VOICE_STAGE_VERSION, "kind": voice.kind, "engine": voice.version,
              "settings": voice.cache_key(), "text": text, "rate": RATE}
    if _recognise_timelines(voice):
        inputs["timeline"] = "recognised"
    return stage_key("voice", inputs)


def synthesize_phrase(voice: Voice, text: str) -> dict[str, np.ndarray]:
    speech = voice.synthesize(text)
    a = np.asarray(speech.audio, np.float32).reshape(-1)
    start, end = audio_mod.trim_bounds(a, speech.sample_rate)
    trimmed = audio_mod.resample(a[start:end], speech.sample_rate, RATE)
    dur = len(trimmed) / RATE
    shift = start / speech.sample_rate
    phonemes = speech.phonemes
    if phonemes is None and _recognise_timelines(voice) and trimmed.size:
        # the script's words, timed by what the recogniser hears, spoken as espeak phonemes
        from .recognizer import shared_recognizer
        from .transcript import align_transcript, word_phonemes
        words = align_transcript(text, shared_recognizer().transcribe(trimmed, RATE))
        phonemes = tuple(p._replace(start=p.start + shift, end=p.end + shift) for p in word_phonemes(words)) \
            if words else None
    syms, times = [], []
    for p in phonemes or ():
        s, e = min(max(p.start - shift, 0.0), dur), min(max(p.end - shift, 0.0), dur)
        if e > s:
            syms.append(p.symbol)
            times.append((s, e))
    return {"audio": trimmed, "symbols": np.array(syms, dtype="<U16"),
            "times": np.array(times, np.float64).reshape(-1, 2),
            "has_phonemes": np.array(phonemes is not None)}


PhraseKeys = tuple[tuple[str, float], ...]      # (voice cache key, pause after) per phrase of a line


def _lead(index: int, line: Line) -> float:
    return 0.0 if index == 0 else (PARAGRAPH_PAUSE if line.paragraph else LINE_PAUSE)


def run_voice_stage(story: Story, cast: Cast, cache: StageCache, reporter: Reporter,
                    cancel: Callable[[], bool] | None) -> list[PhraseKeys]:
    """Synthesize every phrase not cached yet (one loaded voice per speaker); each line's phrase keys."""
    keys = [tuple((voice_key(cast.voices[line.speaker], ph.text), ph.pause)
                  for s in line.sentences for ph in s.phrases) for line in story.lines]
    reporter.stage("voice", sum(len(k) for k in keys))
    for speaker, voice in cast.voices.items():       # one loaded voice per speaker, freed after
        todo = [(k, ph.text) for line, line_keys in zip(story.lines, keys) if line.speaker == speaker
                for (k, _), ph in zip(line_keys, [ph for s in line.sentences for ph in s.phrases])]
        missing = [(k, t) for k, t in dict(todo).items() if not cache.has("voice", k, ".npz")]
        for _ in range(len(todo) - len(missing)):    # cached, or said twice in this story
            reporter.step("voice", reused=True)
        if missing:
            with voice:
                for key, text in missing:
                    check_cancel(cancel)
                    cache.save_arrays("voice", key, **synthesize_phrase(voice, text))
                    reporter.step("voice", reused=False, label=text[:40])
    reporter.end_stage("voice")
    return keys


def _entry(cache: StageCache, stage: str, key: str) -> dict[str, np.ndarray]:
    data = cache.load_arrays(stage, key)
    if data is None:
        raise DeepstoryError(f"{stage} cache entry {key} vanished during the render; run again")
    return data


def _phrase(cache: StageCache, key: str) -> dict[str, np.ndarray]:
    return _entry(cache, "voice", key)


def speech_key(cache: StageCache, phrases: PhraseKeys, lead: float, fps: int) -> str:
    """Hashes what the cached phrases hold (a voice with random noise, re-made, changes the clip)."""
    digests = []
    for key, pause in phrases:
        digest = cache.content_digest("voice", key, ".npz")
        if digest is None:
            raise DeepstoryError(f"voice cache entry {key} vanished during the render; run again")
        digests.append([digest, pause])
    return stage_key("speech", {"v": SPEECH_VERSION, "phrases": digests, "lead": lead, "fps": fps, "rate": RATE})


def build_speech(cache: StageCache, line: Line, index: int, phrases: PhraseKeys, fps: int) -> str:
    """The clip's speech (audio padded to whole frames, phonemes, sentence spans) made once from its
    cached phrases and cached itself; returns its key."""
    lead = _lead(index, line)
    key = speech_key(cache, phrases, lead, fps)
    if cache.has("speech", key, ".npz"):
        return key
    parts = [audio_mod.silence(lead)]
    syms: list[str] = []
    times: list[tuple[float, float]] = []
    spans: list[tuple[float, float]] = []
    any_timeline = True
    t = len(parts[0])
    k = 0
    for sentence in line.sentences:
        start = end = t / RATE
        for _ in sentence.phrases:
            phrase_key, pause = phrases[k]
            k += 1
            ph = _phrase(cache, phrase_key)
            any_timeline &= bool(ph["has_phonemes"])
            off = t / RATE
            syms += [str(s) for s in ph["symbols"]]
            times += [(off + a, off + b) for a, b in ph["times"]]
            pad = audio_mod.silence(pause)
            parts += [ph["audio"], pad]
            end = off + len(ph["audio"]) / RATE
            t += len(ph["audio"]) + len(pad)
        spans.append((start, end))
    audio = np.concatenate(parts)
    n_frames = max(1, math.ceil(len(audio) * fps / RATE - 1e-9))
    audio = np.pad(audio, (0, int(round(n_frames * RATE / fps)) - len(audio)))
    cache.save_arrays("speech", key, audio=audio, symbols=np.array(syms, dtype="<U16"),
                      times=np.array(times, np.float64).reshape(-1, 2), has_phonemes=np.array(any_timeline),
                      sentence_spans=np.array(spans, np.float64).reshape(-1, 2), n_frames=np.array(n_frames))
    return key


def load_speech(cache: StageCache, key: str) -> dict[str, np.ndarray]:
    return _entry(cache, "speech", key)


def clip_speech(data: dict[str, np.ndarray], fps: int, seed: int) -> ClipSpeech:
    """What a driver or animator gets for a clip, from its cached speech entry."""
    phonemes = tuple(Phoneme(str(s), float(a), float(b)) for s, (a, b) in zip(data["symbols"], data["times"]))
    return ClipSpeech(data["audio"], RATE, phonemes if bool(data["has_phonemes"]) else None,
                      int(data["n_frames"]), fps, seed)
