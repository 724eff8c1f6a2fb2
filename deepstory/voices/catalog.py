"""The voices available here described for people: family, language, gender and a readable name per spec,
from what each voice package says about itself (espeak-ng's language names and variant files, the Kokoro
style genders, piper's voice config), in the order a picker shows them (neural first), with a word search."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from . import list_voices

FAMILIES = ("kokoro", "piper", "espeak", "dctts")           # picker order: neural voices first
NEURAL = ("kokoro", "piper", "dctts")
# search words that mean a gender (matched exactly: "male" must not find "female" voices)
GENDER_WORDS = {"female": "female", "woman": "female", "women": "female", "girl": "female",
                "male": "male", "man": "male", "men": "male", "boy": "male"}


@dataclass(frozen=True)
class VoiceInfo:
    spec: str                 # what a story's `voice:` takes
    family: str               # kokoro | piper | espeak | dctts
    neural: bool              # a neural model (natural, slower) rather than formant synthesis
    language: str             # e.g. 'English (Scotland)'
    gender: str | None        # 'male' | 'female' | None (the package does not say)
    name: str                 # the voice's own name, e.g. 'RicishayMax2', 'Alpha', 'Male 7'
    label: str                # 'English (Scotland) — RicishayMax2 (espeak)'

    def json(self) -> dict:
        return asdict(self)

    def _replace_spec(self, spec: str) -> "VoiceInfo":
        from dataclasses import replace
        return replace(self, spec=spec)


def _pretty(name: str) -> str:
    m = re.fullmatch(r"(male|female)(\d+)", name, re.I)
    return f"{m.group(1).capitalize()} {m.group(2)}" if m else name[:1].upper() + name[1:]


def _info(spec: str, family: str, language: str, gender: str | None, name: str) -> VoiceInfo:
    tail = f"{family}, {gender}" if gender else family
    return VoiceInfo(spec, family, family in NEURAL, language, gender, name, f"{language} — {name} ({tail})")


def _espeak(spec: str, languages: dict[str, tuple[str, int]], variants: dict[str, tuple[str, str | None]]
            ) -> VoiceInfo:
    lang, _, variant = spec.split(":", 1)[1].partition("+")
    language, gender_code = languages.get(lang, (lang, 0))
    if variant:
        display, gender = variants.get(variant, (variant, None))
        return _info(spec, "espeak", language, gender, _pretty(display))
    return _info(spec, "espeak", language, {1: "male", 2: "female"}.get(gender_code), "standard")


def _piper_language(name: str) -> str:
    import importlib
    import json
    from .piper import VOICES
    try:
        config = json.loads(Path(importlib.import_module(VOICES[name][0]).config_path()).read_text("utf-8"))
        lang = config.get("language", {})
        return f"{lang['name_english']} ({lang.get('country_english') or lang.get('region')})"
    except (ImportError, KeyError, OSError, ValueError):
        return "English"


@lru_cache(maxsize=1)
def _espeak_tables() -> tuple[dict[str, tuple[str, int]], dict[str, tuple[str, str | None]]]:
    from modules.tts import espeak
    languages = {ident.split("/")[-1].lower(): (name, g) for ident, name, g in espeak.languages()}
    return languages, espeak.variant_details()


def describe_voice(spec: str, data_dir: Path | None = None) -> VoiceInfo | None:
    """The catalog entry of `spec`; an espeak spec written with an alias ('en-gb') or a variant of a
    non-English language is described too. None when unknown here."""
    found = next((v for v in voice_catalog(data_dir) if v.spec == spec), None)
    if found is None and spec.startswith("espeak:"):
        from .espeak import _ALIASES
        lang, plus, variant = spec.split(":", 1)[1].partition("+")
        languages, variants = _espeak_tables()
        lang = _ALIASES.get(lang.lower(), lang.lower())
        if lang in languages and (not variant or variant in variants):
            return _espeak(f"espeak:{lang}{plus}{variant}", languages, variants)._replace_spec(spec)
    return found


@lru_cache(maxsize=4)
def voice_catalog(data_dir: Path | None = None) -> tuple[VoiceInfo, ...]:
    """Every voice of `list_voices(data_dir)`, described, neural families first, then by language and name."""
    from .defaults import NEURAL as DEFAULT_NEURAL
    from .kokoro import GENDER as KOKORO_GENDER
    languages, variants = _espeak_tables()
    default_gender = dict(DEFAULT_NEURAL)
    out = []
    for spec in list_voices(data_dir):
        family, _, rest = spec.partition(":")
        if family == "espeak":
            out.append(_espeak(spec, languages, variants))
        elif family == "kokoro":     # fed English IPA (espeak's en-us): it speaks American English
            out.append(_info(spec, family, languages.get("en-us", ("English (America)", 0))[0],
                             KOKORO_GENDER.get(rest), rest.capitalize()))
        elif family == "piper":
            out.append(_info(spec, family, _piper_language(rest), default_gender.get(spec), rest.capitalize()))
        else:
            out.append(_info(spec, family, "English", None, Path(rest).name))
    rank = {f: i for i, f in enumerate(FAMILIES)}
    return tuple(sorted(out, key=lambda v: (rank.get(v.family, len(rank)), v.language.lower(), v.name.lower())))


def search_voices(voices: tuple[VoiceInfo, ...] | list[VoiceInfo], query: str) -> list[VoiceInfo]:
    """The voices matching every word of `query`: gender words by gender, 'neural' by kind, other words
    anywhere in the label or spec (case-insensitive)."""
    words = [w for w in re.split(r"\s+", query.strip().lower()) if w]
    out = []
    for v in voices:
        text = f"{v.label} {v.spec}".lower()
        ok = True
        for w in words:
            if w in GENDER_WORDS:
                ok = v.gender == GENDER_WORDS[w]
            elif w == "neural":
                ok = v.neural
            else:
                ok = w in text
            if not ok:
                break
        if ok:
            out.append(v)
    return out
