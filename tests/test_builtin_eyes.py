"""The built-in animator's eyes on rendered frames: the gaze channels move both irises the same way (read
back with the face mesh's iris points), and a blink's lid keeps the brows and the rest of the face as they were."""
from __future__ import annotations

import numpy as np
import pytest

from deepstory.portraits import load_portrait
from modules import landmarks
from modules.facewarp import FaceWarpRenderer
from modules.facewarp.locate import find_face
from modules.facewarp.motion import BLINK, GAZE_X, empty
from storyfiles import PORTRAITS

IRIS = (468, 473)             # iris centres in the 478-point face mesh


@pytest.fixture(scope="module", params=["astronaut.jpg", "grace_hopper.jpg"])
def portrait(request):
    image = load_portrait(PORTRAITS / request.param).image
    return image, find_face(image)


def test_gaze_moves_both_irises_the_same_way(portrait):
    image, mesh = portrait
    m = empty(3)
    m[1, GAZE_X], m[2, GAZE_X] = 0.6, -0.6
    rest, right, left = list(FaceWarpRenderer(image, mesh).render(m, 3))
    width = float(np.linalg.norm(mesh[133] - mesh[33]))
    base = landmarks.detect(rest)
    for frame, sign in ((right, 1), (left, -1)):
        got = landmarks.detect(frame)
        for i in IRIS:
            shift = (got[i, 0] - base[i, 0]) / width
            assert 0.02 < sign * shift < 0.12, (i, shift)         # a few % of the eye width, this way
    # nothing outside the eyes moves
    diff = np.abs(right.astype(int) - rest.astype(int)).sum(axis=-1)
    ys, _ = np.nonzero(diff > 12)
    eyes_y = mesh[[33, 133, 263, 362], 1]
    assert len(ys) and ys.min() > eyes_y.min() - 0.25 * width and ys.max() < eyes_y.max() + 0.25 * width


def test_blink_covers_the_eye_but_leaves_the_brows(portrait):
    image, mesh = portrait
    m = empty(2)
    m[1, BLINK] = 1.0
    rest, shut = list(FaceWarpRenderer(image, mesh).render(m, 2))
    diff = np.abs(shut.astype(int) - rest.astype(int)).sum(axis=-1)
    brows = mesh[[70, 63, 105, 66, 107, 336, 296, 334, 293, 300]]
    for x, y in np.round(brows).astype(int):
        assert diff[y - 1:y + 2, x - 1:x + 2].max() < 30           # the brows stay where they were
    for i in IRIS:                                                 # the iris is covered by the lid
        x, y = np.round(mesh[i]).astype(int)
        assert diff[y - 1:y + 2, x - 1:x + 2].mean() > 40
