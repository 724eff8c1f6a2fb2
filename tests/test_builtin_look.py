"""The built-in animator must look like a person talking (issue #12), judged by an independent detector.

Real speech (the pyannote sample, seconds 5-15) drives the animator on two real portraits (skimage's
astronaut and the bundled Grace Hopper); dlib's 68-point model measures the rendered frames (tests/
dlib_measure.py). Bands around issue #12's real-talker values, wide enough for two portraits. The values
of the animator before #12 on this same clip (astronaut / hopper) are in the comments: the opening and jaw
bands fail it on both portraits, the width band on the astronaut; the interior-colour and blink checks
guard what was already right by this measure (the grey "chrome bar" sat mostly on the lip seam, outside
dlib's inner-lip polygon).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from builtin_measure import FPS, pyannote_sample
from deepstory.engines.base import ClipSpeech
from deepstory.engines.builtin import BuiltinAnimator, VisemeDriver

HOPPER = Path(__file__).resolve().parents[1] / "data" / "portraits" / "grace_hopper.jpg"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def speech(request):
    audio, sr = pyannote_sample(request.config.cache.mkdir("builtin-sample-audio"))
    audio = audio[5 * sr:15 * sr]
    return ClipSpeech(audio, sr, None, len(audio) * FPS // sr, FPS, seed=3)


def _portrait(name: str) -> np.ndarray:
    if name == "astronaut":
        import skimage.data
        return skimage.data.astronaut()
    from deepstory.portraits import load_portrait
    return load_portrait(HOPPER).image


@pytest.fixture(scope="module", params=["astronaut", "hopper"])
def look(request, speech):
    from dlib_measure import measure
    motion = VisemeDriver().drive(speech)
    frames = list(BuiltinAnimator(max_side=512).speaker(_portrait(request.param)).render(motion, speech))
    return measure(frames)


def test_mouth_opens_as_far_as_a_real_talker(look):
    # real talker 0.42; before: 0.20 / 0.21; now 0.33 / 0.32
    assert 0.30 <= np.percentile(look.opening, 90) <= 0.65


def test_jaw_moves_the_chin(look):
    # real talker 0.31; before: 0.08 / 0.16; now 0.24 / 0.26
    assert 0.17 <= look.chin_range <= 0.5


def test_width_is_not_one_mechanical_function_of_opening(look):
    # real talker -0.3; before: -0.67 / -0.35; now -0.51 / -0.30
    r = float(np.corrcoef(look.width, look.opening)[0, 1])
    assert r > -0.6, f"corr(mouth width, opening) = {r:.2f}"


def test_blinks_close_the_eyes(look):
    # real talker's lowest eye aspect ratio 0.15; before: 0.13 / 0.21; warped lid 0.12 / 0.20; mirrored lid 0.07 / 0.13
    assert np.median(look.ear) > 0.22     # the eyes are open most of the time
    assert look.ear.min() <= 0.17


def test_open_mouth_is_a_dark_cavity_not_a_grey_bar(look):
    # real talker: 4 % mid-grey colourless; before: 2.5 % / 0 %, dark 45 % / 45 %; painted interior 3 % / 0 %,
    # dark 39 % / 38 %; now 1.3 % / 0 %, dark 29 % / 38 %: the astronaut smiles with her teeth showing and
    # an opening now shows those real teeth (a larger share of the interior) above the dark cavity
    assert look.grey_share <= 0.06
    assert look.dark_share >= 0.25
