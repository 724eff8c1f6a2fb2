"""`transition: dissolve`: an 8-frame cross-fade centred on each cut, made in the frame pass from cached
animated clips (switching cut <-> dissolve re-animates nothing), without changing the story's timing."""
from __future__ import annotations

import json

import numpy as np
import pytest

from deepstory.errors import DeepstoryError
from deepstory.media import probe, read_frames
from deepstory.story import load_story
from deepstory.transitions import DISSOLVE_FRAMES
from storyfiles import render

from test_framing import _story


def _with(path, line: str):
    text = path.read_text().replace("---\n", f"---\n{line}\n", 1)
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The same two-speaker story rendered with cuts, then with dissolves, on one cache."""
    tmp = tmp_path_factory.mktemp("transitions")
    cut = render(_story(tmp / "cut", "fill"), tmp / "out-cut", tmp / "cache")
    dis = render(_with(_story(tmp / "dis", "fill"), "transition: dissolve"), tmp / "out-dis", tmp / "cache")
    return cut, dis


def test_switching_to_dissolve_re_animates_nothing_and_keeps_the_timing(both):
    cut, dis = both
    assert dis.rendered["animate"] == 0 and dis.rendered["voice"] == 0 and dis.reused["animate"] == 3
    assert dis.rendered["frame"] == 3                      # every clip touches a cut: each is re-framed
    a, b = probe(cut.result.video), probe(dis.result.video)
    assert a.frames == b.frames and abs(a.audio_seconds - b.audio_seconds) < 1e-3
    timing = lambda r: [(c["start"], c["end"], c["frames"]) for c in json.loads(r.timeline.read_text())["clips"]]  # noqa: E731
    assert timing(cut.result) == timing(dis.result)


def test_dissolve_frames_blend_the_two_clips(both):
    cut, dis = both
    fc = [f.astype(np.float32) for f in read_frames(cut.result.video)]
    fd = [f.astype(np.float32) for f in read_frames(dis.result.video)]
    clips = json.loads(cut.result.timeline.read_text())["clips"]
    half = DISSOLVE_FRAMES // 2
    for boundary in (clips[1]["start"], clips[2]["start"]):
        b = int(round(boundary * 25))                      # first frame of the next clip
        before, after = fc[b - 1], fc[b]                   # the two pictures (the still animator holds them)
        assert np.abs(before - after).mean() > 20          # different speakers: a real cut
        # far from the cut: the same pictures as with cuts
        assert np.abs(fd[b - half - 3] - fc[b - half - 3]).mean() < 2
        assert np.abs(fd[b + half + 3] - fc[b + half + 3]).mean() < 2
        for k in range(-half, half):                       # the 8 dissolve frames
            w = (k + half + 1) / (2 * half + 1)            # the next clip's share
            want = (1 - w) * before + w * after
            got = fd[b + k]
            assert np.abs(got - want).mean() < 3, (k, np.abs(got - want).mean())
            assert np.abs(got - before).mean() > 5 and np.abs(got - after).mean() > 5
        mid = fd[b]                                        # pixel-wise between both neighbours
        lo, hi = np.minimum(before, after) - 6, np.maximum(before, after) + 6
        assert ((mid >= lo) & (mid <= hi)).mean() > 0.98


def test_bad_transition_is_one_clear_error(tmp_path):
    path = _with(_story(tmp_path / "s", "fill"), "transition: wipe")
    with pytest.raises(DeepstoryError, match="transition must be one of cut, dissolve"):
        load_story(path)


@pytest.mark.slow
def test_dissolve_in_worker_processes_equals_in_process(both, tmp_path):
    """The frame pass on `--jobs` workers gets the neighbour pictures with the job: the same video."""
    from deepstory.process_executor import ProcessExecutor
    cut, dis = both
    path = _with(_story(tmp_path / "s", "fill"), "transition: dissolve")
    rep = render(path, tmp_path / "out", tmp_path / "cache", executor=ProcessExecutor(2))
    assert rep.rendered["frame"] == 3
    a = np.stack(list(read_frames(rep.result.video))).astype(np.float32)
    b = np.stack(list(read_frames(dis.result.video))).astype(np.float32)
    assert a.shape == b.shape and np.abs(a - b).max() == 0
