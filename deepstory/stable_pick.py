"""Stable defaults per speaker name (voices, portraits)."""
from __future__ import annotations

import hashlib


def stable_pick(name: str, count: int, taken: set[int]) -> int:
    """An index in range(count) chosen by a hash of `name` (so a name keeps its default across edits),
    moving on to the next one not in `taken` while any is free; the choice is added to `taken`."""
    start = int(hashlib.sha1(name.strip().lower().encode()).hexdigest(), 16) % count
    pick = start
    for step in range(count):
        pick = (start + step) % count
        if pick not in taken:
            break
    taken.add(pick)
    return pick
