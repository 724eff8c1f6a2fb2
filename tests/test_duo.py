"""`layout: duo`: two-speaker scenes side by side — both faces in every frame, the speaker animated, the
listener idling with its mouth closed; no bars with `fill`; switching the layout re-animates nothing."""
from __future__ import annotations

import json

import numpy as np
import pytest

from builtin_measure import openings
from deepstory.duo import scenes
from deepstory.errors import DeepstoryError
from deepstory.media import read_frames
from deepstory.story import load_story
from storyfiles import render

from test_framing import _black_edges, _story

BODY = ("Narrator: The night was cold, and the old lighthouse keeper was alone.\n"
        "Eve: I hate portals. Nothing good ever came out of one.\nNarrator: So do I.\n")


def _duo_story(tmp, layout: str):
    path = _story(tmp, "fill")
    text = path.read_text().replace("animator: still", f"animator: builtin\nlayout: {layout}")
    head, _, _ = text.rpartition("---\n")
    path.write_text(head + "---\n" + BODY)
    return path


def test_scenes_pair_two_alternating_speakers():
    assert scenes(["A", "B", "A", "C", "B"]) == [("A", "B")] * 3 + [("C", "B")] * 2
    assert scenes(["A", "A", "B"]) == [("A", "B")] * 3
    assert scenes(["A", "A"]) == [None, None]
    assert scenes(["A", "B", "C"]) == [("A", "B"), ("A", "B"), None]


@pytest.fixture(scope="module")
def duo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("duo")
    single = render(_duo_story(tmp / "single", "single"), tmp / "out-single", tmp / "cache")
    rep = render(_duo_story(tmp / "duo", "duo"), tmp / "out-duo", tmp / "cache")
    frames = list(read_frames(rep.result.video))
    clips = json.loads(rep.result.timeline.read_text())["clips"]
    return single, rep, frames, clips


@pytest.mark.slow
def test_switching_to_duo_re_animates_nothing(duo):
    single, rep, frames, _ = duo
    assert single.rendered["animate"] == 3
    assert rep.rendered["animate"] == 0 and rep.reused["animate"] == 3 and rep.rendered["frame"] == 3
    h, w = frames[0].shape[:2]
    assert abs(w / h - 16 / 9) < 0.02
    assert not any(_black_edges(f) for f in frames)                   # fill: no bars in either half


@pytest.mark.slow
def test_both_faces_in_every_frame_and_the_listener_keeps_its_mouth_shut(duo):
    _, _, frames, clips = duo
    h, w = frames[0].shape[:2]
    half = w // 2
    left = [np.ascontiguousarray(f[:, :half]) for f in frames]
    right = [np.ascontiguousarray(f[:, half:]) for f in frames]
    open_l, open_r = openings(left), openings(right)
    assert not np.isnan(open_l).any() and not np.isnan(open_r).any()       # a face on each side, every frame
    for c in clips:                                   # Narrator speaks first: the left side
        a, b = int(round(c["start"] * 25)), int(round(c["end"] * 25))
        talking, listening = (open_l, open_r) if c["speaker"] == "Narrator" else (open_r, open_l)
        assert np.nanmax(talking[a:b]) > 0.05, c       # the speaker's mouth opens ...
        assert np.nanmax(listening[a:b]) < 0.03, c     # ... the listener's stays shut
    # the listener is alive: its half changes over a clip (blinks, sway), not a frozen picture
    c = clips[0]
    a, b = int(round(c["start"] * 25)), int(round(c["end"] * 25))
    idle = np.stack(right[a:b]).astype(np.float32)
    assert idle.std(axis=0).mean() > 0.3


def test_bad_layout_is_one_clear_error(tmp_path):
    path = _duo_story(tmp_path / "s", "trio")
    with pytest.raises(DeepstoryError, match="layout must be one of single, duo"):
        load_story(path)
