"""Parsing a story script: optional YAML front matter, then one line per utterance.

    ---
    title: The Portal
    default_speaker: Narrator
    speakers:
      Narrator: {voice: espeak:en-us+m3, portrait: portraits/narrator.png}
    animator: builtin
    ---
    Narrator: The night was cold.
    Yennefer | I hate portals.
    A line with no speaker goes to the default speaker.

`Name: text` and `Name | text` name a speaker; a blank line is a paragraph break.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import StoryError
from .settings import ENGINE_SETTINGS, BuiltinSettings, FomSettings, SdaSettings, SettingsError, from_mapping
from .front_matter import load_front_matter, split_front_matter
from .text import Sentence, sentences_of

MAX_STORY_CHARS = 2_000_000
MAX_STORY_BYTES = 8 * MAX_STORY_CHARS       # a story file larger than this is refused before reading it
MAX_LINE_CHARS = 4_000                      # one clip per line: ~4 min of speech; split longer lines
_NAME = r"[^\W\d_][\w .'’-]{0,39}?"
_PIPE_LINE = re.compile(rf"^\s*({_NAME})\s*\|\s*(.*)$")
_COLON_LINE = re.compile(rf"^\s*({_NAME})\s*:\s+(.*)$|^\s*({_NAME})\s*:$")
_TOP_KEYS = {"title", "default_speaker", "speakers", "animator", "driver", "fps", "seed", "max_side",
             "fom", "sda", "builtin", "no_face", "aspect", "framing", "captions",
             "transition", "layout"}
ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "source")
FRAMINGS = ("fill", "fit", "blur")
_SPEAKER_KEYS = {"voice", "portrait", "rate", "pitch", "speed", "gender"}
ANIMATORS = ("builtin", "fom", "still")
DRIVERS = ("visemes", "sda", "none")


@dataclass
class Speaker:
    name: str
    voice: str | None = None        # None: a default voice chosen per name
    portrait: str | None = None     # None: a bundled portrait chosen per name
    rate: int | None = None         # words per minute (175 = natural); `speed: 1.2` in a story sets 210
    pitch: int | None = None
    gender: str | None = None       # "male" / "female": keeps default voices apart


@dataclass
class Line:
    number: int                     # 1-based line number in the file
    speaker: str
    text: str
    sentences: tuple[Sentence, ...]
    paragraph: bool = False         # a blank line came before it


@dataclass
class Story:
    name: str
    title: str
    default_speaker: str
    speakers: dict[str, Speaker]
    lines: list[Line]
    animator: str = "builtin"
    driver: str | None = None        # None: the animator's default
    fps: int = 25
    seed: int = 0
    max_side: int = 1024
    no_face: str = "error"           # or "still": render a face-less portrait without motion
    aspect: str = "16:9"             # the story frame's shape (deepstory/framing.py), or "source"
    framing: str = "fill"            # fill | fit | blur: how each portrait's clip fills that frame
    captions: str = "off"            # "burn": subtitles drawn into the video as well
    transition: str = "cut"          # cut | dissolve: how one clip gives way to the next (deepstory/transitions.py)
    layout: str = "single"           # single | duo: two-speaker scenes side by side (deepstory/duo.py)
    fom: FomSettings = field(default_factory=FomSettings)            # `fom:` front matter
    sda: SdaSettings = field(default_factory=SdaSettings)            # `sda:` front matter
    builtin: BuiltinSettings = field(default_factory=BuiltinSettings)  # `builtin:` front matter
    base_dir: Path = field(default_factory=Path.cwd)


def _show(value: Any, limit: int = 60) -> str:
    """A user's value for an error message: repr'd, on one line, cut to `limit` characters."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _looks_like_name(text: str, max_words: int) -> bool:
    """'Yennefer', 'Ground Control': up to `max_words` words, each capitalised (so 'Note that' is not)."""
    words = text.split()
    return 0 < len(words) <= max_words and all(w[0].isupper() for w in words)


def _int(meta: dict, key: str, default: int, lo: int, hi: int) -> int:
    value = meta.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise StoryError(f"front matter: '{key}' must be a whole number from {lo} to {hi}, got {_show(value)}")
    return value


def _speakers(raw: Any) -> dict[str, Speaker]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise StoryError("front matter: 'speakers' must map each name to {voice: ..., portrait: ...}")
    out = {}
    for name, spec in raw.items():
        name = str(name).strip()
        if not re.fullmatch(_NAME, name):
            raise StoryError(f"front matter: speaker name {_show(name)} must start with a letter and be at most 40 characters")
        if spec is None:
            spec = {}
        elif isinstance(spec, str):
            spec = {"voice": spec}
        if not isinstance(spec, dict):
            raise StoryError(f"front matter: speaker {_show(name)} must be a mapping like {{voice: ..., portrait: ...}}")
        unknown = set(map(str, spec)) - _SPEAKER_KEYS
        if unknown:
            raise StoryError(f"front matter: speaker {_show(name)} has unknown setting(s) {', '.join(_show(u) for u in sorted(unknown))}; "
                             f"allowed: {', '.join(sorted(_SPEAKER_KEYS))}")
        for key in ("voice", "portrait"):
            if spec.get(key) is not None and not isinstance(spec[key], str):
                raise StoryError(f"front matter: speaker {_show(name)}: '{key}' must be text")
        for key, (lo, hi) in (("rate", (80, 450)), ("pitch", (0, 99))):
            v = spec.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi):
                raise StoryError(f"front matter: speaker {_show(name)}: '{key}' must be a whole number {lo}–{hi}")
        speed = spec.get("speed")
        if speed is not None:
            if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.5 <= speed <= 2.0:
                raise StoryError(f"front matter: speaker {_show(name)}: 'speed' must be a number from 0.5 to 2.0")
            if spec.get("rate") is not None:
                raise StoryError(f"front matter: speaker {_show(name)}: give 'rate' or 'speed', not both")
        gender = spec.get("gender")
        if gender is not None and gender not in ("male", "female"):
            raise StoryError(f"front matter: speaker {_show(name)}: 'gender' must be male or female")
        rate = round(175 * speed) if speed is not None else spec.get("rate")
        out[name] = Speaker(name, spec.get("voice"), spec.get("portrait"), rate, spec.get("pitch"), gender)
    return out


def _line(i: int, stripped: str, default: str, by_lower: dict[str, str], declared: bool,
          speakers: dict[str, Speaker], blank_before: bool) -> Line:
    """One script line `i` (stripped) as a Line; StoryError for an unusable one."""
    if len(stripped) > MAX_LINE_CHARS:
        raise StoryError(f"line {i}: {len(stripped):,} characters is longer than one line may be "
                         f"({MAX_LINE_CHARS:,}); split it into several lines")
    speaker, said = default, stripped
    m = _PIPE_LINE.match(stripped)
    if m:
        speaker, said = m.group(1).strip(), m.group(2)
    else:
        m = _COLON_LINE.match(stripped)
        if m:
            who = (m.group(1) or m.group(3)).strip()
            if who.lower() in by_lower or who.lower() == default.lower():
                speaker, said = who, m.group(2) or ""
            elif not declared and _looks_like_name(who, 3):
                speaker, said = who, m.group(2) or ""
            elif declared and _looks_like_name(who, 2):
                raise StoryError(f"line {i}: unknown speaker {who!r}; declared speakers: "
                                 f"{', '.join(speakers)}. Add it under 'speakers:' in the front matter, "
                                 f"or fix the name.")
    if m and _PIPE_LINE.match(stripped) and declared and speaker.lower() not in by_lower \
            and speaker.lower() != default.lower():
        raise StoryError(f"line {i}: unknown speaker {speaker!r}; declared speakers: {', '.join(speakers)}. "
                         f"Add it under 'speakers:' in the front matter, or fix the name.")
    speaker = by_lower.get(speaker.lower(), speaker)
    if speaker.lower() == default.lower():
        speaker = by_lower.get(default.lower(), default)
    if not said.strip():
        raise StoryError(f"line {i}: {speaker} has nothing to say")
    sentences = tuple(sentences_of(said))
    if not sentences:
        raise StoryError(f"line {i}: nothing speakable in {said.strip()[:60]!r} (only symbols or emoji)")
    return Line(i, speaker, said.strip(), sentences, paragraph=blank_before)


def parse_story(text: str, *, name: str = "story", base_dir: Path | str | None = None) -> Story:
    """Parse a story script; raises StoryError with the line number for anything unusable."""
    if not isinstance(text, str):
        raise StoryError("a story must be text")
    if len(text) > MAX_STORY_CHARS:
        raise StoryError(f"the story is too long ({len(text):,} characters; the limit is {MAX_STORY_CHARS:,})")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise StoryError(f"the story contains invalid Unicode at character {exc.start + 1} "
                         f"(a lone surrogate); save it as UTF-8 text") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    fm, body, offset = split_front_matter(text)
    meta = load_front_matter(fm)
    problems: list[str] = []            # every problem is collected (an editor lists them all), then raised

    def setting(check, fallback):
        """`check()`'s value, or `fallback` with its StoryError noted."""
        try:
            return check()
        except StoryError as exc:
            problems.append(str(exc))
            return fallback

    def choice(key: str, allowed: tuple, default: Any, hint: str = "") -> Any:
        value = meta.get(key, default)
        if value not in allowed:
            problems.append(f"front matter: {key} must be one of {', '.join(map(str, allowed))}, got "
                            f"{_show(meta.get(key))}{hint}")
            return default
        return value

    unknown = set(meta) - _TOP_KEYS
    if unknown:
        problems.append(f"front matter: unknown setting(s) {', '.join(_show(u) for u in sorted(unknown))}; "
                        f"allowed: {', '.join(sorted(_TOP_KEYS))}")
    speakers = setting(lambda: _speakers(meta.get("speakers")), None)
    declared = bool(speakers)
    speakers = speakers or {}
    default = meta.get("default_speaker", "Narrator")
    if not isinstance(default, str) or not re.fullmatch(_NAME, default.strip()):
        problems.append(f"front matter: default_speaker must be a name, got {_show(default)}")
        default = "Narrator"
    default = default.strip()
    by_lower = {n.lower(): n for n in speakers}

    animator = choice("animator", ANIMATORS, "builtin")
    driver = choice("driver", (*DRIVERS, None), None)
    no_face = choice("no_face", ("error", "still"), "error")
    engines = {}
    for key, cls in ENGINE_SETTINGS.items():   # typed engine settings (deepstory/settings.py), checked now
        try:
            engines[key] = from_mapping(cls, meta.get(key), key)
        except SettingsError as exc:
            problems.append(f"front matter: {exc}")
            engines[key] = cls()
    if isinstance(meta.get("aspect"), int) and not isinstance(meta["aspect"], bool) and 0 < meta["aspect"] < 3600:
        meta["aspect"] = f"{meta['aspect'] // 60}:{meta['aspect'] % 60}"   # YAML 1.1 reads 16:9 as base-60 969
    aspect = choice("aspect", ASPECTS, "16:9", " (quote it: aspect: '16:9')")
    framing = choice("framing", FRAMINGS, "fill")
    if meta.get("captions") is False:
        meta["captions"] = "off"                                # YAML 1.1 reads a bare `off` as false
    captions = choice("captions", ("off", "burn"), "off")
    transition = choice("transition", ("cut", "dissolve"), "cut")
    layout = choice("layout", ("single", "duo"), "single")
    numbers = {key: setting(lambda k=key, d=d, lo=lo, hi=hi: _int(meta, k, d, lo, hi), d)
               for key, d, lo, hi in (("fps", 25, 1, 60), ("seed", 0, 0, 2**31 - 1), ("max_side", 1024, 64, 4096))}
    title = meta.get("title")

    lines: list[Line] = []
    blank_before = False
    for i, raw in enumerate(body.split("\n"), start=offset + 1):
        stripped = raw.strip()
        if not stripped:
            blank_before = bool(lines)
            continue
        if stripped.startswith("#"):        # a markdown heading: the title if none was given, never spoken
            if title is None and not lines:
                title = stripped.lstrip("#").strip() or None
            continue
        if stripped.startswith("<!--"):
            continue
        line = setting(lambda: _line(i, stripped, default, by_lower, declared, speakers, blank_before), None)
        if line is None:
            continue
        lines.append(line)
        blank_before = False
        if line.speaker not in speakers:
            speakers[line.speaker] = Speaker(line.speaker)
    if not lines and not problems:
        problems.append("the story is empty: write at least one line, e.g. 'Narrator: Once upon a time.'")
    if problems:
        raise StoryError(problems[0], problems)
    # Keep declared speakers that never speak out of the render, but in their declared order.
    used = {ln.speaker for ln in lines}
    speakers = {n: s for n, s in speakers.items() if n in used}
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    return Story(
        name=name, title=str(title) if title is not None else name, default_speaker=default,
        speakers=speakers, lines=lines, animator=animator, driver=driver,
        fps=numbers["fps"], seed=numbers["seed"], max_side=numbers["max_side"], no_face=no_face, aspect=aspect,
        framing=framing,
        captions=captions, transition=transition, layout=layout,
        fom=engines["fom"], sda=engines["sda"], builtin=engines["builtin"], base_dir=base,
    )


def load_story(path: str | Path) -> Story:
    """Read and parse a story file; its name (for outputs) is the file name without extension."""
    path = Path(path)
    try:
        if not path.is_file():
            raise StoryError(f"story file not found: {path}")
        size = path.stat().st_size
    except OSError as exc:                  # e.g. a file name longer than the system allows
        raise StoryError(f"cannot open story file {str(path)[:120]}: {exc.strerror}") from None
    if size > MAX_STORY_BYTES:
        raise StoryError(f"{path} is too large for a story ({size:,} bytes; the limit is {MAX_STORY_BYTES:,})")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise StoryError(f"{path} is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise StoryError(f"cannot read {path}: {exc.strerror}") from None
    name = re.sub(r"[^\w.-]+", "_", path.stem).strip("._") or "story"
    return parse_story(text, name=name, base_dir=path.resolve().parent)
