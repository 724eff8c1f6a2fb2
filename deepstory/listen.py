"""The whole story's audio from the voice stage alone (no animation): what the studio's "Listen" plays.

Phrases come from the same cache as a render's, so listening first makes the render's voice stage free,
and the clip boundaries are exactly the render's (each line's speech padded to whole video frames).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from .cache import StageCache
from .cast import resolve_cast
from .progress import Reporter
from .story import Story
from .voice_stage import RATE, build_speech, load_speech, run_voice_stage


def speak_story(story: Story, cache_dir: Path, *, data_dir: Path | None = None, reporter: Reporter | None = None,
                cancel: Callable[[], bool] | None = None) -> tuple[np.ndarray, int, list[dict]]:
    """(audio float32 mono, sample rate, per line {line, speaker, text, start, end} in seconds)."""
    reporter = reporter or Reporter()
    cache = StageCache(cache_dir, on_damage=reporter.log)
    cast = resolve_cast(story, data_dir)
    phrases = run_voice_stage(story, cast, cache, reporter, cancel)
    parts, lines, t = [], [], 0.0
    for i, (line, keys) in enumerate(zip(story.lines, phrases)):
        audio = load_speech(cache, build_speech(cache, line, i, keys, story.fps))["audio"]
        parts.append(audio)
        lines.append({"line": line.number, "speaker": line.speaker, "text": line.text, "start": round(t, 3),
                      "end": round(t + len(audio) / RATE, 3)})
        t += len(audio) / RATE
    return np.concatenate(parts).astype(np.float32), RATE, lines
