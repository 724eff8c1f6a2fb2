"""Splitting a story into its YAML front matter and script, and reading that YAML safely.

Front matter is untrusted text (the studio takes it from the network), so the loader refuses what
YAML can make expensive: aliases (`*name`, the "billion laughs" expansion), nesting deeper than a story
ever needs (deep `[[[[...` would exhaust Python's recursion), and front matter longer than any real one.
Without aliases, the parsed value is no bigger than the text, so the size cap bounds every value.
"""
from __future__ import annotations

from typing import Any

import yaml

from .errors import StoryError

MAX_FRONT_MATTER_CHARS = 64_000     # a cast of dozens of speakers fits in a few KB
MAX_DEPTH = 16                      # story settings nest 3 levels (speakers → name → field)


class _StoryYamlLoader(yaml.SafeLoader):
    """SafeLoader without aliases and with a nesting limit."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise StoryError(f"front matter line {mark.line + 2}: YAML aliases (*name) are not allowed in a story")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise StoryError(f"front matter line {mark.line + 2}: nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter YAML or None, script body, number of lines before the body)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, text, 0
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 1
    raise StoryError("front matter starts with '---' on line 1 but has no closing '---' line")


def load_front_matter(fm: str | None) -> dict[str, Any]:
    """The settings mapping of a front matter block ({} when there is none); StoryError when unusable."""
    if fm is None or not fm.strip():
        return {}
    if len(fm) > MAX_FRONT_MATTER_CHARS:
        raise StoryError(f"the front matter is too long ({len(fm):,} characters; the limit is "
                         f"{MAX_FRONT_MATTER_CHARS:,})")
    try:
        meta = yaml.load(fm, Loader=_StoryYamlLoader)   # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise StoryError(f"front matter is not valid YAML{where}: {problem}") from None
    except RecursionError:       # belt and braces: the depth limit should stop it first
        raise StoryError(f"front matter is nested too deeply (the limit is {MAX_DEPTH} levels)") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise StoryError("front matter must be a set of 'key: value' settings")
    return {str(k): v for k, v in meta.items()}


def set_settings(text: str, values: dict[str, str | None]) -> str:
    """The story with top-level front-matter settings set (None removes one), edited line by line so that
    everything else the user wrote (comments, order, quoting, the script) stays exactly as it was.
    Values are written as quoted YAML scalars."""
    import json
    import re
    text = text.replace("\r\n", "\n")
    fm, body, _ = split_front_matter(text)
    lines = fm.split("\n") if fm else []
    for key, value in values.items():
        if not re.fullmatch(r"[a-z_]+", key):
            raise StoryError(f"not a story setting: {key!r}")
        pattern = re.compile(rf"^{key}\s*:")
        at = next((i for i, ln in enumerate(lines) if pattern.match(ln)), None)
        new = None if value is None else f"{key}: {json.dumps(str(value), ensure_ascii=False)}"
        if at is None:
            if new is not None:
                lines.insert(0, new) if key == "title" else lines.append(new)
            continue
        end = at + 1          # a block value (the indented lines under the key) goes with it
        while end < len(lines) and lines[end].startswith((" ", "\t")):
            end += 1
        lines[at:end] = [] if new is None else [new]
    fm_text = "\n".join(lines)
    return f"---\n{fm_text}\n---\n{body}" if fm_text.strip() else body
