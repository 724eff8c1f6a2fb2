"""Captions: cues held long enough to read (never overlapping the next), WebVTT voice tags, and captions
burned into the video with `captions: burn` (assembly only: no clip is animated again)."""
from __future__ import annotations

import pytest

import re

import numpy as np

from deepstory.captions import MIN_CUE_S, hold_cues
from deepstory.media import read_frames
from deepstory.pipeline import render_story
from deepstory.progress import Reporter
from deepstory.story import load_story
from deepstory.subtitles import Cue
from storyfiles import make_story_dir

BODY = "Narrator: Hi.\nEve: Yes.\nNarrator: The night was cold and the wind howled over the hills.\n"
CAST = {"Narrator": {"voice": "espeak:en-us", "portrait": "hopper.jpg"},
        "Eve": {"voice": "espeak:en-gb+f3", "portrait": "astronaut.jpg"}}


def test_hold_cues():
    cues = [Cue(0.0, 0.3, "A", "Hi.", "c1", 1), Cue(0.8, 1.1, "B", "Yes.", "c2", 2), Cue(3.0, 5.0, "A", "Long.", "c3", 3),
            Cue(5.1, 5.2, "A", "End.", "c3", 3)]
    held = hold_cues(cues, duration=5.6)
    assert [round(c.end, 3) for c in held] == [0.8, 2.0, 5.0, 5.6]


def _stamps(vtt: str) -> list[tuple[float, float]]:
    def sec(h, m, s, ms):
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
    return [(sec(*g[:4]), sec(*g[4:])) for g in re.findall(r"(\d+):(\d+):(\d+)\.(\d+) --> (\d+):(\d+):(\d+)\.(\d+)", vtt)]


@pytest.mark.slow
def test_burned_captions_are_in_the_frames_and_cues_readable(tmp_path):
    story = make_story_dir(tmp_path / "s", BODY, speakers=CAST, animator="still", extra="framing: fit")
    cache = tmp_path / "cache"
    plain = render_story(load_story(story), tmp_path / "plain", cache_dir=cache)
    story.write_text(story.read_text().replace("framing: fit", "framing: fit\ncaptions: burn"))
    rep = Reporter()
    burned = render_story(load_story(story), tmp_path / "burn", cache_dir=cache, reporter=rep)
    assert rep.rendered["animate"] == 0 and rep.rendered["voice"] == 0
    vtt = burned.vtt.read_text()
    assert "<v Narrator>" in vtt and "<v Eve>" in vtt
    cues = _stamps(vtt)
    for (a, b), nxt in zip(cues, [c[0] for c in cues[1:]] + [burned.duration]):
        assert b - a >= MIN_CUE_S - 1e-3 or abs(b - nxt) < 1e-3, (a, b, nxt)
        assert b <= nxt + 1e-3
    a, b = list(read_frames(plain.video)), list(read_frames(burned.video))
    assert len(a) == len(b)
    h = a[0].shape[0]
    k = int((cues[0][0] + 0.3) * 25)                  # a frame inside the first cue
    bottom = np.abs(a[k][int(h * 0.6):].astype(int) - b[k][int(h * 0.6):].astype(int)).mean()
    top = np.abs(a[k][: int(h * 0.4)].astype(int) - b[k][: int(h * 0.4)].astype(int)).mean()
    assert bottom > 8 * max(top, 0.5), (bottom, top)
