"""espeak-ng through libespeak-ng (ctypes), with exact phoneme timings.

The library and its data come from the `espeakng-loader` wheel (no apt needed); Debian's libespeak-ng is
used when that wheel is absent. Each call returns int16 PCM at the library's rate (22,050 Hz) and the
phoneme events, each with its exact start sample. The espeak API is process-global (one synthesis at a
time, one callback), so every call holds a module lock; use worker processes for parallelism.
espeak-ng 1.52 varies phoneme lengths by a few milliseconds from call to call (seeding its generator and
libc's does not stop it), so the pipeline caches each phrase: a re-render reuses the exact samples.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from dataclasses import dataclass

import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_DONT_EXIT = 0x8000
_EVENT_LIST_TERMINATED, _EVENT_WORD, _EVENT_SENTENCE, _EVENT_END, _EVENT_PHONEME = 0, 1, 2, 5, 7
_POS_CHARACTER, _CHARS_UTF8 = 1, 1
_PHONEMES_IPA = 0x02
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_RANGE = 1, 2, 3, 4


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class EspeakUnavailable(RuntimeError):
    """libespeak-ng could not be found or initialised."""


@dataclass(frozen=True)
class Synthesis:
    pcm: np.ndarray                           # int16 mono
    sample_rate: int
    phonemes: tuple[tuple[str, int], ...]     # (espeak mnemonic, start sample); pauses are '_' / '_:'
    end_sample: int                           # the END event's sample (== len(pcm))


def _find_library() -> tuple[str, str | None]:
    try:
        import espeakng_loader
        return espeakng_loader.get_library_path(), os.path.dirname(espeakng_loader.get_data_path())
    except ImportError:
        path = ctypes.util.find_library("espeak-ng")
        if not path:
            raise EspeakUnavailable("libespeak-ng not found: pip install espeakng-loader "
                                    "(or apt-get install libespeak-ng1)") from None
        return path, None


class _Engine:
    """The one process-wide espeak instance."""

    def __init__(self) -> None:
        lib_path, data_dir = _find_library()
        self.lib = ctypes.CDLL(lib_path)
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint),
                                          ctypes.c_void_p]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        self.lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        self.lib.espeak_Info.restype = ctypes.c_char_p
        self.lib.espeak_Info.argtypes = [ctypes.c_void_p]
        self.version = (self.lib.espeak_Info(None) or b"?").decode("ascii", "replace")
        self.lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self.lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        path = data_dir.encode() if data_dir else None
        rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, path,
                                          _INIT_PHONEME_EVENTS | _INIT_DONT_EXIT)
        if rate <= 0:
            raise EspeakUnavailable(f"espeak_Initialize failed ({rate}) with data in {data_dir}")
        self.sample_rate = int(rate)
        self.data_dir = data_dir
        self._pcm: list[np.ndarray] = []
        self._events: list[tuple[int, str, int]] = []
        self._callback = _CALLBACK(self._on_audio)   # kept referenced: the library holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav, n, events) -> int:
        if wav and n > 0:
            self._pcm.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == _EVENT_PHONEME:
                self._events.append((_EVENT_PHONEME, ev.id.string.decode("utf-8", "replace"), ev.sample))
            elif ev.type == _EVENT_END:
                self._events.append((_EVENT_END, "", ev.sample))
            i += 1
        return 0

    def voice_names(self) -> list[str]:
        voices = self.lib.espeak_ListVoices(None)
        names, i = [], 0
        while voices[i]:
            v = voices[i].contents
            names.append(v.identifier.decode() if v.identifier else v.name.decode())
            i += 1
        return names

    def languages(self) -> list[tuple[str, str, int]]:
        """(identifier, display name, gender: 1 male / 2 female / 0 unknown) of each installed language."""
        voices = self.lib.espeak_ListVoices(None)
        out, i = [], 0
        while voices[i]:
            v = voices[i].contents
            ident = (v.identifier or v.name).decode()
            out.append((ident, (v.name or b"").decode("utf-8", "replace"), int(v.gender)))
            i += 1
        return out

    def synthesize(self, text: str, voice: str, rate: int, pitch: int) -> Synthesis:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        self.lib.espeak_SetParameter(_PARAM_RATE, int(rate), 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
        self._pcm, self._events = [], []
        data = text.encode("utf-8") + b"\0"
        err = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        self.lib.espeak_Synchronize()
        if err != 0:
            raise RuntimeError(f"espeak_Synth failed with code {err}")
        pcm = np.concatenate(self._pcm) if self._pcm else np.zeros(0, np.int16)
        phonemes = tuple((s, smp) for kind, s, smp in self._events if kind == _EVENT_PHONEME)
        ends = [smp for kind, _, smp in self._events if kind == _EVENT_END]
        return Synthesis(pcm, self.sample_rate, phonemes, ends[-1] if ends else len(pcm))


    def text_to_ipa(self, text: str, voice: str) -> str:
        """IPA with stress marks, words separated by spaces; one call per clause (punctuation is dropped)."""
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        buf = ctypes.create_string_buffer(text.encode("utf-8") + b"\0")
        ptr = ctypes.c_void_p(ctypes.addressof(buf))
        out = []
        while ptr.value:
            res = self.lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, _PHONEMES_IPA)
            if res:
                out.append(res.decode("utf-8", "replace").strip())
        return " ".join(o for o in out if o)


_lock = threading.Lock()
_engine: _Engine | None = None
_engine_pid: int | None = None


def _get() -> _Engine:
    global _engine, _engine_pid
    if _engine is None or _engine_pid != os.getpid():   # a forked child must initialise its own
        _engine, _engine_pid = _Engine(), os.getpid()
    return _engine


def synthesize(text: str, voice: str = "en-us", rate: int = 175, pitch: int = 50) -> Synthesis:
    """Speak `text` with espeak voice name `voice` (e.g. 'en-us', 'en-gb+f3'); rate in words/minute
    (80–450), pitch 0–99."""
    with _lock:
        return _get().synthesize(text, voice, rate, pitch)


def text_to_ipa(text: str, voice: str = "en-us") -> str:
    """`text` as espeak-ng's IPA (stress marks kept, words separated by spaces, punctuation dropped)."""
    with _lock:
        return _get().text_to_ipa(text, voice)


def voice_names() -> list[str]:
    """Identifiers of the installed espeak-ng languages (e.g. 'gmw/en-US')."""
    with _lock:
        return _get().voice_names()


def variant_names() -> list[str]:
    """Voice variants ('m1', 'f3', 'klatt2', ...) usable as 'voice+variant'."""
    with _lock:
        data_dir = _get().data_dir
    if data_dir is None:
        return []
    folder = os.path.join(data_dir, "espeak-ng-data", "voices", "!v")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def languages() -> list[tuple[str, str, int]]:
    """(identifier, display name such as 'English (Scotland)', gender 1 male / 2 female / 0 unknown)."""
    with _lock:
        return _get().languages()


def variant_details() -> dict[str, tuple[str, str | None]]:
    """variant -> (its own display name, 'male' / 'female' / None), from the variant files' `name` and
    `gender` lines (espeak-ng's own description of each variant)."""
    with _lock:
        data_dir = _get().data_dir
    out: dict[str, tuple[str, str | None]] = {}
    if data_dir is None:
        return out
    folder = os.path.join(data_dir, "espeak-ng-data", "voices", "!v")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        display, gender = name, None
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
            for line in f.read(4096).splitlines():
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "name":
                    display = " ".join(parts[1:])
                elif len(parts) >= 2 and parts[0] == "gender" and parts[1].lower() in ("male", "female"):
                    gender = parts[1].lower()
        out[name] = (display, gender)
    return out


def library_version() -> str:
    """libespeak-ng's version (its IPA output is part of what neural voices are fed)."""
    with _lock:
        return _get().version


def sample_rate() -> int:
    with _lock:
        return _get().sample_rate
