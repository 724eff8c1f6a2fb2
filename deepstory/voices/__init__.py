"""Choosing a voice for a speaker from its spec string."""
from __future__ import annotations

from pathlib import Path

from ..errors import VoiceError
from .base import Speech, Voice
from .defaults import default_voice_specs

__all__ = ["Speech", "Voice", "resolve_voice", "default_voice_specs", "list_voices"]


def resolve_voice(spec: str, *, rate: int | None = None, pitch: int | None = None,
                  base_dir: Path | None = None, data_dir: Path | None = None) -> Voice:
    """The voice for `spec` ('espeak:en-us+f3', 'piper:joe', 'dctts:path/to/Voice'); VoiceError when unknown."""
    if not isinstance(spec, str) or ":" not in spec:
        raise VoiceError(f"voice {spec!r} needs a kind prefix, e.g. 'espeak:en-us+f3', 'piper:joe' "
                         f"or 'dctts:data/dctts/Geralt'")
    kind = spec.split(":", 1)[0].strip().lower()
    if kind == "espeak":
        from .espeak import EspeakVoice
        return EspeakVoice(spec, rate=rate, pitch=pitch)
    if kind == "piper":
        from .piper import PiperVoice
        return PiperVoice(spec, rate=rate, pitch=pitch)
    if kind == "kokoro":
        from .kokoro import KokoroVoice
        return KokoroVoice(spec, rate=rate, pitch=pitch)
    if kind == "dctts":
        try:
            from .dctts import DcttsVoice
        except ImportError:
            raise VoiceError("DCTTS voices are not available in this build") from None
        return DcttsVoice(spec, base_dir=base_dir, data_dir=data_dir)
    raise VoiceError(f"unknown voice kind {kind!r} in {spec!r}; use 'kokoro:...', 'piper:...', 'espeak:...' or 'dctts:...' "
                     f"(run 'python run_story.py voices' to list them)")


def list_voices(data_dir: Path | None = None) -> list[str]:
    """Every voice spec available here: espeak languages/variants, installed piper voices and DCTTS
    folders under data/dctts."""
    from .espeak import list_espeak_voices
    from .kokoro import list_kokoro_voices
    from .piper import list_piper_voices
    specs = list_kokoro_voices() + list_piper_voices() + list_espeak_voices()
    try:
        from .dctts import list_dctts_voices
    except ImportError:
        return specs
    if data_dir is not None:
        specs += list_dctts_voices(Path(data_dir) / "dctts")
    return specs
