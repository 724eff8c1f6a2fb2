"""Editing speakers' settings (voice, portrait, rate, pitch, speed) in a story's front matter text in place.

The front matter is the user's text: comments, order, quoting and the script stay exactly as written; only
the lines of the speakers being changed are touched (like front_matter.set_settings for top-level keys).
Handles the forms a story may use under `speakers:`:

    speakers:
      Ann: {voice: espeak:en-us+f3}     # a flow mapping on one line: rewritten on that line
      Bob: espeak:en-gb                 # a bare voice: becomes a flow mapping
      Cy:                               # a block: each field's own line is set, added or removed
        voice: espeak:en-us
A flow `speakers: {...}` on one line is rewritten as a whole (the only case where a comment may be lost).
"""
from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import StoryError
from .front_matter import split_front_matter

FIELDS = ("voice", "portrait", "rate", "pitch", "speed", "gender")
_SPEAKERS = re.compile(r"^speakers\s*:(.*)$")


def _checked(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise StoryError(f"a speaker setting must be text or a number, got {value!r}")
    return value


def _dump(mapping: dict[str, Any], flow: bool) -> str:
    """YAML for one mapping on one line (`{voice: 'espeak:en', rate: 150}` or `voice: espeak:en`), quoted
    only where YAML needs it, as yaml.safe_dump writes it."""
    return yaml.safe_dump({k: _checked(v) for k, v in mapping.items()}, default_flow_style=flow,
                          sort_keys=False, allow_unicode=True, width=1 << 20).strip()


def _flow(spec: dict[str, Any]) -> str:
    return _dump(spec, True) if spec else "{}"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _real(line: str) -> bool:
    """A line that holds YAML content (not blank, not only a comment)."""
    s = line.strip()
    return bool(s) and not s.startswith("#")


def _apply(spec: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    spec = dict(spec)
    for key, value in change.items():
        if value is None or value == "":
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


def _entry_name(line: str) -> str | None:
    """The speaker name an entry line of the `speakers:` block starts with."""
    m = re.match(r"""^\s*(?:"([^"]+)"|'([^']+)'|([^\s:#'"{][^:#]*?))\s*:(?:\s|$)""", line)
    return next((g for g in m.groups() if g), None).strip() if m else None


def _split_comment(value: str) -> tuple[str, str]:
    """(value, ' # trailing comment') of a one-line flow value ending in `}` and maybe a comment."""
    close = value.rfind("}")
    if close >= 0 and re.fullmatch(r"\s*(#.*)?", value[close + 1:]):
        return value[:close + 1], value[close + 1:]
    m = re.search(r"\s+#.*$", value) if close < 0 else None      # a bare voice with a comment after it
    return (value[:m.start()], value[m.start():]) if m else (value, "")


def _edit_entry(lines: list[str], at: int, end: int, change: dict[str, Any]) -> None:
    """Apply `change` to the speaker entry at lines[at] whose block runs to `end` (exclusive)."""
    line = lines[at]
    indent = _indent(line)
    m = re.match(r"""^(\s*(?:"[^"]*"|'[^']*'|[^:#]+?)\s*):(.*)$""", line)
    head, rest = m.group(1).rstrip(), m.group(2)
    value = rest.strip()
    if value and not value.startswith("#"):          # a value on the entry's own line: flow or bare voice
        flow, comment = _split_comment(rest)
        try:
            spec = yaml.safe_load(flow)
        except yaml.YAMLError:
            raise StoryError(f"front matter: cannot read the settings of speaker {head.strip()}") from None
        spec = {"voice": spec} if isinstance(spec, str) else dict(spec or {})
        lines[at] = f"{head}: {_flow(_apply(spec, change))}{comment}"
        return
    block = lines[at + 1:end]                       # the entry's own lines (fields, comments, blanks)
    real = [ln for ln in block if _real(ln)]
    child_indent = _indent(real[0]) if real else indent + 2
    for key, new in change.items():
        found = next((i for i, ln in enumerate(block) if _real(ln) and re.match(rf"^\s*{key}\s*:", ln)), None)
        text = None if new is None or new == "" else f"{' ' * child_indent}{_dump({key: new}, False)}"
        if found is not None:
            block[found:found + 1] = [] if text is None else [text]
        elif text is not None:                      # a new field goes after the last field
            last = max((i for i, ln in enumerate(block) if _real(ln)), default=-1)
            block.insert(last + 1, text)
    lines[at + 1:end] = block


def set_speakers(text: str, changes: dict[str, dict[str, Any]], names: list[str]) -> str:
    """The story text with each speaker's fields in `changes` set (None or '' removes a field).

    `names`: every speaker the story uses, in order; when the story declares speakers, each one of them
    must be declared (a declared list makes undeclared names errors), so missing ones are added as `{}`."""
    text = text.replace("\r\n", "\n")
    for name, change in changes.items():
        unknown = set(change) - set(FIELDS)
        if unknown:
            raise StoryError(f"{name}: cannot set {', '.join(sorted(unknown))}; settable: {', '.join(FIELDS)}")
    fm, body, _ = split_front_matter(text)
    lines = fm.split("\n") if fm else []
    start = next((i for i, ln in enumerate(lines) if _SPEAKERS.match(ln)), None)
    if start is not None and _SPEAKERS.match(lines[start]).group(1).strip().split("#")[0].strip():
        # `speakers: {...}` on one line: read it, change it, write it back on one line
        mapping = yaml.safe_load(lines[start].split(":", 1)[1]) or {}
        if not isinstance(mapping, dict):
            raise StoryError("front matter: 'speakers' must map each name to {voice: ..., portrait: ...}")
        lines[start:start + 1] = ["speakers:"] + [f"  {k}: {_flow({'voice': v} if isinstance(v, str) else dict(v or {}))}"
                                                  for k, v in mapping.items()]
    if start is None:
        lines.append("speakers:")
        start = len(lines) - 1
    for name in [*names, *[n for n in changes if n.lower() not in {m.lower() for m in names}]]:
        end = next((i for i in range(start + 1, len(lines)) if _real(lines[i]) and _indent(lines[i]) == 0),
                   len(lines))
        entries = [i for i in range(start + 1, end) if _real(lines[i])]
        indent = min((_indent(lines[i]) for i in entries), default=2)
        at = next((i for i in entries if _indent(lines[i]) == indent
                   and (_entry_name(lines[i]) or "").lower() == name.lower()), None)
        change = next((c for n, c in changes.items() if n.lower() == name.lower()), None)
        if at is None:
            spot = (entries[-1] + 1) if entries else start + 1
            lines.insert(spot, f"{' ' * indent}{_key(name)}: {_flow(_apply({}, change or {}))}")
            continue
        if change:
            entry_end = next((i for i in range(at + 1, end) if _real(lines[i]) and _indent(lines[i]) <= indent), end)
            _edit_entry(lines, at, entry_end, change)
    fm_text = "\n".join(lines)
    return f"---\n{fm_text}\n---\n{body}"


def _key(name: str) -> str:
    """A speaker name as a mapping key (quoted when YAML would read it as something else)."""
    try:
        plain = yaml.safe_load(f"{name}: 1") == {name: 1}
    except yaml.YAMLError:
        plain = False
    return name if plain else _dump({name: 0}, True)[1:-4]
