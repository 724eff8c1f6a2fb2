"""A damaged cache heals itself: every kind of damage to every kind of entry is detected, reported
once, discarded and made again; the output is byte-identical to a clean render wherever the stage is
deterministic (espeak-ng varies phoneme lengths by a few ms per call, so a re-spoken phrase is not)."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from storyfiles import make_story_dir, render

BODY = "Narrator: The night was cold.\nEileen: I hate portals.\nNarrator: So do I.\n"
CAST = {"Narrator": {"voice": "espeak:en-us", "portrait": "hopper.jpg"},
        "Eileen": {"voice": "espeak:en-gb+f3", "portrait": "astronaut.jpg"}}


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A rendered story and its cache, kept pristine; each test damages a copy."""
    root = tmp_path_factory.mktemp("clean")
    story = make_story_dir(root / "s", BODY, speakers=CAST, animator="builtin")
    render(story, root / "out", root / "cache")
    return story, root / "cache", (root / "out" / "tale.mp4").read_bytes()


def _entries(cache: Path, stage: str, ext: str) -> list[Path]:
    return sorted((cache / stage).rglob(f"*{ext}"))


def _damage(kind: str, victim: Path, other: Path) -> None:
    data = victim.read_bytes()
    if kind == "truncate":
        victim.write_bytes(data[:len(data) // 3])
    elif kind == "empty":
        victim.write_bytes(b"")
    elif kind == "flip":
        mid = len(data) // 2
        rnd = random.Random(0)
        victim.write_bytes(data[:mid] + bytes(b ^ rnd.randrange(1, 256) for b in data[mid:mid + 400])
                           + data[mid + 400:])
    elif kind == "swap":
        victim.write_bytes(other.read_bytes())
        other.write_bytes(data)


@pytest.mark.slow
@pytest.mark.parametrize("stage, ext", [("animate", ".mp4"), ("drive", ".npz")])
@pytest.mark.parametrize("kind", ["truncate", "flip", "empty", "swap"])
def test_damaged_clip_or_motion_is_remade_and_output_is_identical(tmp_path, clean, stage, ext, kind):
    story, pristine, clean_mp4 = clean
    cache = tmp_path / "cache"
    shutil.copytree(pristine, cache)
    entries = _entries(cache, stage, ext)
    assert len(entries) >= 2
    _damage(kind, entries[0], entries[1])
    rep = render(story, tmp_path / "out", cache)
    remade = 2 if kind == "swap" else 1
    assert rep.rendered[stage] == remade, rep.summary()
    assert sum("discarded" in m for m in rep.messages) == remade, rep.messages
    assert rep.rendered["voice"] == 0
    assert (tmp_path / "out" / "tale.mp4").read_bytes() == clean_mp4
    # healed: a third run reports nothing and remakes nothing
    again = render(story, tmp_path / "out2", cache)
    assert not again.messages and again.rendered[stage] == 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["truncate", "flip", "empty"])
def test_damaged_voice_entry_is_spoken_again(tmp_path, clean, kind):
    story, pristine, _ = clean
    cache = tmp_path / "cache"
    shutil.copytree(pristine, cache)
    entries = _entries(cache, "voice", ".npz")
    _damage(kind, entries[0], entries[1])
    rep = render(story, tmp_path / "out", cache)
    assert rep.rendered["voice"] == 1 and rep.reused["voice"] >= 2
    assert sum("discarded" in m for m in rep.messages) == 1
    assert (tmp_path / "out" / "tale.mp4").stat().st_size > 0


def test_unsealed_entry_is_not_trusted(tmp_path):
    """A writer killed between writing an entry and sealing it leaves an entry nobody vouches for."""
    from deepstory.cache import StageCache
    seen: list[str] = []
    cache = StageCache(tmp_path, on_damage=seen.append)
    cache.save_arrays("voice", "ab" * 20, audio=__import__("numpy").zeros(3))
    assert cache.has("voice", "ab" * 20, ".npz")
    p = cache.path("drive", "cd" * 20, ".npz")
    p.parent.mkdir(parents=True)
    p.write_bytes(cache.path("voice", "ab" * 20, ".npz").read_bytes())
    assert not cache.has("drive", "cd" * 20, ".npz") and not p.exists()
    assert len(seen) == 1 and "not sealed" in seen[0]
