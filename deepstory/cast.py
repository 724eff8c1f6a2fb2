"""The cast of a story: each speaker's voice and portrait, resolved (and checked) before any work."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .portraits import Portrait, default_portraits, load_portrait, resolve_path
from .settings import PATHS
from .story import Story
from .voices import Voice, default_voice_specs, resolve_voice


@dataclass
class Cast:
    voices: dict[str, Voice]
    portraits: dict[str, Portrait]


def automatic_voices(story: Story) -> dict[str, tuple[str, int | None, int | None]]:
    """name -> (spec, rate, pitch) for each speaker whose story names no voice: the default neural voices
    by gender hint (the story's own rate/pitch kept), as a render resolves them."""
    defaults = default_voice_specs({n: s.gender for n, s in story.speakers.items() if not s.voice})
    return {name: (spec, story.speakers[name].rate or rate, story.speakers[name].pitch or pitch)
            for name, (spec, rate, pitch) in defaults.items()}


def resolve_portraits(story: Story) -> dict[str, Portrait]:
    """Each speaker's portrait: the story's own, else a bundled one."""
    portraits = {}
    for name, sp in story.speakers.items():
        if sp.portrait:
            portraits[name] = load_portrait(resolve_path(sp.portrait, story.base_dir), label=sp.portrait)
    for name, (path, mirror) in default_portraits(story.speakers).items():
        portraits[name] = load_portrait(path, mirror=mirror, label=f"bundled {path.name}")
    return portraits


def resolve_cast(story: Story, data_dir: Path | None = None) -> Cast:
    """Voices and portraits for every speaker; raises a clear error before any work starts. Speakers
    without a voice get the default neural voices (by gender hint), without a portrait a bundled one."""
    data_dir = data_dir or PATHS.data
    automatic = automatic_voices(story)
    voices = {}
    for name, sp in story.speakers.items():
        if sp.voice:
            voices[name] = resolve_voice(sp.voice, rate=sp.rate, pitch=sp.pitch, base_dir=story.base_dir,
                                         data_dir=data_dir)
        else:
            spec, rate, pitch = automatic[name]
            voices[name] = resolve_voice(spec, rate=rate, pitch=pitch)
    return Cast(voices, resolve_portraits(story))
