"""espeak-ng voices: `espeak:<language>[+<variant>]`, e.g. `espeak:en-us+f3`, `espeak:en-gb-x-rp`."""
from __future__ import annotations

import re

import numpy as np

from modules.phonemes import Phoneme
from modules.tts import espeak

from ..errors import VoiceError
from .base import Speech, Voice

_SPEC = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*(?:\+[A-Za-z0-9_-]{1,24})?$")


_ALIASES = {"en-gb": "en", "en-uk": "en", "en-england": "en"}


class EspeakVoice(Voice):
    kind = "espeak"
    version = "1"

    def __init__(self, spec: str, rate: int | None = None, pitch: int | None = None):
        super().__init__(spec)
        name = spec.split(":", 1)[1] if ":" in spec else spec
        if not _SPEC.match(name):
            raise VoiceError(f"bad espeak voice {spec!r}: write it like 'espeak:en-us' or 'espeak:en-gb+f3'")
        lang, _, variant = name.partition("+")
        # espeak-ng 1.52 files British English as plain 'en'; accept the names people know.
        lang = _ALIASES.get(lang.lower(), lang.lower())
        self.name = lang + (f"+{variant}" if variant else "")
        self.rate = 175 if rate is None else rate
        self.pitch = 50 if pitch is None else pitch
        try:
            # espeak-ng quietly speaks an unknown variant ('+m77') with its default voice: refuse it instead
            known = espeak.variant_names()
            if variant and known and variant not in known:
                raise VoiceError(f"unknown espeak variant {variant!r} in {spec!r}; variants include "
                                 f"{', '.join(v for v in known if re.fullmatch(r'[mf][0-9]', v))} (run 'python run_story.py voices' "
                                 f"to list them all)")
            espeak.synthesize("a", self.name, self.rate, self.pitch)
        except ValueError:
            raise VoiceError(f"unknown espeak voice {spec!r}; run 'python run_story.py voices' to list them") from None
        except espeak.EspeakUnavailable as exc:
            raise VoiceError(str(exc)) from None

    def cache_key(self) -> dict:
        return {"voice": self.name, "rate": self.rate, "pitch": self.pitch}

    def synthesize(self, text: str) -> Speech:
        out = espeak.synthesize(text, self.name, self.rate, self.pitch)
        sr = out.sample_rate
        starts = [s for _, s in out.phonemes] + [out.end_sample]
        phonemes = tuple(Phoneme(sym, starts[i] / sr, starts[i + 1] / sr)
                         for i, (sym, _) in enumerate(out.phonemes))
        return Speech(out.pcm.astype(np.float32) / 32768.0, sr, phonemes)




def list_espeak_voices() -> list[str]:
    """English espeak specs with their variants, plus every other language without a variant."""
    langs = sorted({v.split("/")[-1].lower() for v in espeak.voice_names()})
    variants = [v for v in espeak.variant_names() if re.fullmatch(r"[A-Za-z0-9_-]+", v)]
    english = [lang for lang in langs if lang.startswith("en")]
    specs = [f"espeak:{lang}" for lang in langs]
    specs += [f"espeak:{lang}+{var}" for lang in english for var in variants]
    return specs
