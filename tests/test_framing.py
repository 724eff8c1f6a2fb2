"""Stories framed like film: one frame for the whole story (16:9 by default); `fill` puts every speaker's
face at the same place and size with no bars, `blur` shows the whole portrait over a blurred copy, `fit`
letterboxes; changing the framing re-runs assembly only, never animation."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from deepstory.media import read_frames
from deepstory.progress import Reporter
from modules.landmarks import detect, face_box
from storyfiles import PORTRAITS, render

BODY = "Narrator: The night was cold.\nEve: I hate portals.\nNarrator: So do I.\n"


def _story(tmp, framing: str, aspect: str = "16:9"):
    tmp.mkdir(parents=True, exist_ok=True)
    hopper = cv2.imread(str(PORTRAITS / "grace_hopper.jpg"))
    astro = cv2.imread(str(PORTRAITS / "astronaut.jpg"))
    cv2.imwrite(str(tmp / "wide.png"), cv2.resize(hopper, (480, 300)) if False else
                np.ascontiguousarray(np.pad(hopper, ((0, 0), (120, 120), (0, 0)), mode="edge")))   # wider
    cv2.imwrite(str(tmp / "tall.png"), np.ascontiguousarray(astro[:, 96:416]))                   # 320x512
    fm = ["---", "animator: still", "max_side: 384", f"aspect: '{aspect}'", f"framing: {framing}", "speakers:",
          '  Narrator: {voice: "espeak:en-us", portrait: wide.png}',
          '  Eve: {voice: "espeak:en-gb+f3", portrait: tall.png}', "---"]
    path = tmp / "tale.md"
    path.write_text("\n".join(fm) + "\n" + BODY)
    return path


def _render(path, out, cache) -> tuple[list[np.ndarray], Reporter, object]:
    rep = render(path, out, cache)
    return list(read_frames(rep.result.video)), rep, rep.result


@pytest.fixture(scope="module")
def fill(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fill")
    frames, rep, result = _render(_story(tmp / "s", "fill"), tmp / "out", tmp / "cache")
    return tmp, frames, result


def _black_edges(frame: np.ndarray) -> bool:
    gray = frame.mean(axis=2)
    return bool((gray.max(axis=1) < 12).any() or (gray.max(axis=0) < 12).any())


def test_fill_is_16_9_without_bars_and_faces_match(fill):
    _, frames, result = fill
    h, w = frames[0].shape[:2]
    assert abs(w / h - 16 / 9) < 0.02
    assert not any(_black_edges(f) for f in frames)
    import json
    clips = json.loads(result.timeline.read_text())["clips"]
    boxes = []
    for c in clips[:2]:                             # Narrator's first clip, Eve's
        mid = int((c["start"] * 25 + c["end"] * 25) / 2)
        mesh = detect(np.ascontiguousarray(frames[mid]))
        assert mesh is not None
        boxes.append(face_box(mesh))
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = boxes
    assert abs((ay1 - ay0) - (by1 - by0)) < 0.05 * (ay1 - ay0)            # same size
    assert abs((ay0 + ay1) / 2 - (by0 + by1) / 2) < 0.05 * h                 # same height
    assert abs((ax0 + ax1) / 2 - (bx0 + bx1) / 2) < 0.05 * w


@pytest.mark.slow
def test_switching_framing_renders_no_clip_and_blur_has_no_bars_but_fit_does(fill):
    tmp, _, _ = fill
    for framing, bars in (("blur", False), ("fit", True)):
        path = _story(tmp / "s", framing)
        frames, rep, _ = _render(path, tmp / f"out-{framing}", tmp / "cache")
        assert rep.rendered["animate"] == 0 and rep.rendered["voice"] == 0 and rep.reused["animate"] == 3
        assert any(_black_edges(f) for f in frames) == bars, framing


def test_aspect_choices(tmp_path):
    path = _story(tmp_path / "s", "fill", aspect="9:16")
    frames, _, _ = _render(path, tmp_path / "o", tmp_path / "c")
    h, w = frames[0].shape[:2]
    assert h > w and abs(h / w - 16 / 9) < 0.02 and not _black_edges(frames[0])
