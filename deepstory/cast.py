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


def resolve_cast(story: Story, data_dir: Path | None = None) -> Cast:
    """Voices and portraits for every speaker; raises a clear error before any work starts. Speakers
    without a voice get the default neural voices (by gender hint), without a portrait a bundled one."""
    data_dir = data_dir or PATHS.data
    defaults = default_voice_specs({n: s.gender for n, s in story.speakers.items() if not s.voice})
    voices, portraits = {}, {}
    for name, sp in story.speakers.items():
        if sp.voice:
            voices[name] = resolve_voice(sp.voice, rate=sp.rate, pitch=sp.pitch, base_dir=story.base_dir,
                                         data_dir=data_dir)
        else:
            spec, rate, pitch = defaults[name]
            voices[name] = resolve_voice(spec, rate=sp.rate or rate, pitch=sp.pitch or pitch)
    for name, sp in story.speakers.items():
        if sp.portrait:
            portraits[name] = load_portrait(resolve_path(sp.portrait, story.base_dir), label=sp.portrait)
    for name, (path, mirror) in default_portraits(story.speakers).items():
        portraits[name] = load_portrait(path, mirror=mirror, label=f"bundled {path.name}")
    return Cast(voices, portraits)
