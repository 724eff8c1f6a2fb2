"""Stories saved on the server: one JSON record per story under a server-generated id."""
from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

from deepstory.cache import atomic_write_text
from deepstory.errors import StoryError
from deepstory.story import parse_story

from .ids import is_id, new_id

MAX_TEXT = 100_000


class StoryNotFound(LookupError):
    pass


class StoryConflict(Exception):
    """The story changed since the revision an editor started from (open twice, saved in the other)."""

    def __init__(self, current: dict[str, Any]):
        super().__init__("this story was changed in another window since you loaded it")
        self.current = current


def title_of(text: str) -> str:
    """The story's title for lists; falls back to a front-matter 'title:' line when it does not parse."""
    try:
        return parse_story(text, name="Untitled story").title
    except StoryError:
        m = re.search(r"^title:\s*(.+)$", text, re.M)
        return m.group(1).strip().strip("'\"")[:80] if m else "Untitled story"


class StoryStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def _path(self, story_id: str) -> Path:
        if not is_id(story_id, "story"):
            raise StoryNotFound(story_id)
        return self.root / f"{story_id}.json"

    @staticmethod
    def _check_text(text: Any) -> str:
        if not isinstance(text, str):
            raise StoryError("'text' must be the story as a string")
        if len(text) > MAX_TEXT:
            raise StoryError(f"the story is too long for the studio ({len(text):,} characters; "
                             f"the limit is {MAX_TEXT:,}); render long stories with the command line")
        return text.replace("\r\n", "\n")

    def create(self, text: str) -> dict[str, Any]:
        text = self._check_text(text)
        now = time.time()
        record = {"id": new_id("story"), "text": text, "title": title_of(text), "created": now, "updated": now,
                  "revision": 1}
        with self._lock:
            atomic_write_text(self._path(record["id"]), json.dumps(record, ensure_ascii=False))
        return record

    def get(self, story_id: str) -> dict[str, Any]:
        path = self._path(story_id)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise StoryNotFound(story_id) from None

    def update(self, story_id: str, text: str, base_revision: int | None = None) -> dict[str, Any]:
        """Save `text`; with `base_revision` (the revision the editor loaded), StoryConflict instead of
        overwriting a newer save made elsewhere. Every save makes a new revision."""
        text = self._check_text(text)
        with self._lock:
            record = self.get(story_id)
            revision = int(record.get("revision", 1))
            if base_revision is not None and base_revision != revision:
                raise StoryConflict(record)
            if text == record["text"]:
                return record
            record.update(text=text, title=title_of(text), updated=time.time(), revision=revision + 1)
            atomic_write_text(self._path(story_id), json.dumps(record, ensure_ascii=False))
        return record

    def delete(self, story_id: str) -> None:
        path = self._path(story_id)
        with self._lock:
            if not path.is_file():
                raise StoryNotFound(story_id)
            path.unlink()

    def list(self) -> list[dict[str, Any]]:
        out = []
        for p in self.root.glob("*.json"):
            try:
                r = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            out.append({**{k: r[k] for k in ("id", "title", "created", "updated")}, "revision": r.get("revision", 1)})
        return sorted(out, key=lambda r: r["updated"], reverse=True)
