"""Lip shapes as channels of their own, mixed with the opening: pressed lips on m/b/p, the lower lip tucked
under the upper teeth on f/v, the tongue tip behind the upper teeth on t/d/n/l/th — from the viseme track
(with anticipated rounding) to pixels measured on rendered frames."""
from __future__ import annotations

import numpy as np
import pytest

from modules import landmarks
from modules.facewarp import FaceWarpRenderer, track_from_phonemes
from modules.facewarp.locate import find_face
from modules.facewarp.motion import CHANNELS, MOUTH, OPEN, PRESS, ROUND, TONGUE, TUCK, WIDE, empty
from modules.phonemes import Phoneme
from deepstory.portraits import load_portrait
from storyfiles import PORTRAITS

FPS = 25.0
COLS = {ch: i for i, ch in enumerate(MOUTH)}        # track column of each mouth channel


def _timeline(symbols: list[str], d: float = 0.12) -> list[Phoneme]:
    out, t = [Phoneme("_", 0.0, 0.2)], 0.2
    for s in symbols:
        out.append(Phoneme(s, t, t + d))
        t += d
    out.append(Phoneme("_", t, t + 0.2))
    return out


def _at(track: np.ndarray, phonemes: list[Phoneme], i: int, ch: int) -> float:
    """The track's value at the middle of phoneme i (1-based past the leading pause)."""
    p = phonemes[i]
    return float(track[int((p.start + p.end) / 2 * FPS), COLS[ch]])


def test_each_consonant_class_drives_its_own_channel():
    ph = _timeline(["f", "a", "m", "a", "t", "a", "v", "i:", "b"])
    tr = track_from_phonemes(ph, int(ph[-1].end * FPS) + 1, FPS)
    assert tr.shape[1] == len(MOUTH) == 6
    assert _at(tr, ph, 1, TUCK) > 0.5 and _at(tr, ph, 7, TUCK) > 0.5           # f, v
    assert _at(tr, ph, 3, PRESS) > 0.5 and _at(tr, ph, 9, PRESS) > 0.4         # m, b
    assert _at(tr, ph, 5, TONGUE) > 0.5                                        # t
    for vowel in (2, 4, 6):                                                    # a: none of them
        assert max(_at(tr, ph, vowel, ch) for ch in (PRESS, TUCK, TONGUE)) < 0.35
    assert _at(tr, ph, 3, OPEN) < 0.05                                         # m closes the lips


def test_rounding_is_anticipated_more_than_it_lingers():
    """'s t u:' rounds already on the s; 's t i:' does not; after the u: the rounding fades faster."""
    ahead = _timeline(["s", "t", "u:", "t", "s"], d=0.08)
    plain = _timeline(["s", "t", "i:", "t", "s"], d=0.08)
    n = int(ahead[-1].end * FPS) + 1
    ta, tp = track_from_phonemes(ahead, n, FPS), track_from_phonemes(plain, n, FPS)
    assert _at(ta, ahead, 2, ROUND) > _at(tp, plain, 2, ROUND) + 0.15      # the t before u: already round
    before = _at(ta, ahead, 2, ROUND)                                        # one phoneme before the u
    after = _at(ta, ahead, 4, ROUND)                                         # one phoneme after it
    assert before > after


@pytest.fixture(scope="module")
def astronaut():
    image = load_portrait(PORTRAITS / "astronaut.jpg").image
    return image, find_face(image)


@pytest.fixture(scope="module")
def hopper():
    """Grace Hopper's lips are clearly redder than her skin: lip red is measurable on her."""
    image = load_portrait(PORTRAITS / "grace_hopper.jpg").image
    return image, find_face(image)


def _render(astronaut, rows: list[dict[str, float]]) -> list[np.ndarray]:
    image, mesh = astronaut
    motion = empty(len(rows))
    for i, values in enumerate(rows):
        for name, v in values.items():
            motion[i, CHANNELS.index(name)] = v
    return list(FaceWarpRenderer(image, mesh).render(motion, len(rows)))


def _mouth_box(mesh: np.ndarray, pad: float = 0.35) -> tuple[slice, slice]:
    pts = mesh[[61, 291, 0, 17]]
    w = pts[:, 0].max() - pts[:, 0].min()
    x0, x1 = pts[:, 0].min() - pad * w / 2, pts[:, 0].max() + pad * w / 2
    y0, y1 = pts[:, 1].min() - pad * w / 2, pts[:, 1].max() + pad * w / 2
    return slice(int(y0), int(y1)), slice(int(x0), int(x1))


def _redness(img: np.ndarray) -> np.ndarray:
    f = img.astype(np.float32)
    return f[..., 0] - (f[..., 1] + f[..., 2]) / 2


def _lip_cut(image: np.ndarray, box) -> float:
    red = _redness(image[box])
    return float((np.percentile(red, 95) + np.percentile(red, 40)) / 2)      # between lip red and skin


def test_pressed_lips_show_a_thinner_red_line(hopper):
    image, mesh = hopper
    rest, pressed = _render(hopper, [{}, {"press": 1.0}])
    box = _mouth_box(mesh)
    cut = _lip_cut(image, box)
    cx = int((mesh[61, 0] + mesh[291, 0]) / 2) - box[1].start
    hw = int((mesh[291, 0] - mesh[61, 0]) * 0.2)
    red = lambda im: _redness(im[box]) > cut  # noqa: E731
    assert red(pressed).sum() < 0.8 * red(rest).sum()                            # less lip red in all
    assert red(pressed)[:, cx - hw:cx + hw].sum() < 0.6 * red(rest)[:, cx - hw:cx + hw].sum()   # thin mid-line
    assert landmarks.mouth_opening(landmarks.detect(pressed)) < 0.02             # and the lips stay shut


def test_f_v_tuck_shows_the_upper_teeth_on_a_raised_lower_lip(hopper):
    from modules.facewarp.rig import build_rig
    image, mesh = hopper
    plain, tucked = _render(hopper, [{"open": 0.12, "wide": 0.1}, {"open": 0.12, "wide": 0.1, "tuck": 1.0}])
    box = _mouth_box(mesh)
    teeth = build_rig(image, mesh).teeth_colour * 255
    near_teeth = lambda im: (np.abs(im[box].astype(np.float32) - teeth).max(axis=-1) < 25).sum()  # noqa: E731
    assert near_teeth(tucked) > 2 * near_teeth(plain) + 20, (near_teeth(plain), near_teeth(tucked))
    # the lower lip rides up under the teeth instead of dropping with the opening, its red partly hidden
    cut, h = _lip_cut(image, box), box[0].stop - box[0].start
    lower_red = lambda im: (_redness(im[box])[h // 2:] > cut).sum()  # noqa: E731
    assert lower_red(tucked) < 0.9 * lower_red(plain)
    assert landmarks.detect(tucked)[17, 1] < landmarks.detect(plain)[17, 1]


def test_tongue_tip_shows_under_the_upper_teeth_in_the_middle(astronaut):
    image, mesh = astronaut
    plain, tip = _render(astronaut, [{"open": 0.4}, {"open": 0.4, "tongue": 1.0}])
    diff = np.abs(plain.astype(int) - tip.astype(int)).sum(axis=-1)
    ys, xs = np.nonzero(diff > 30)
    assert len(ys) > 8
    centre_x = (mesh[61, 0] + mesh[291, 0]) / 2
    width = mesh[291, 0] - mesh[61, 0]
    assert np.abs(xs - centre_x).max() < 0.3 * width             # in the middle of the mouth
    assert _redness(tip[ys, xs]).mean() > _redness(plain[ys, xs]).mean()   # warmer than the cavity there


def test_round_is_narrower_than_spread_at_a_similar_opening(astronaut):
    rounded, spread = _render(astronaut, [{"open": 0.35, "round": 1.0, "wide": -0.6}, {"open": 0.3, "wide": 1.0}])
    width = lambda im: float(np.linalg.norm(landmarks.detect(im)[291] - landmarks.detect(im)[61]))  # noqa: E731
    assert width(rounded) < 0.92 * width(spread)


def test_a_portrait_showing_its_teeth_opens_onto_its_own_teeth(astronaut):
    """The astronaut smiles with her teeth showing: an opening shows those pixels (hanging from the upper
    lip at their own size), not the painted band a closed-mouth portrait gets."""
    import dataclasses
    image, mesh = astronaut
    renderer = FaceWarpRenderer(image, mesh)
    assert renderer.rig.own_teeth
    m = empty(1)
    m[0, OPEN] = 0.5                    # a moderate opening: about 0.13 face heights between the lips
    own = next(iter(renderer.render(m, 1)))
    renderer.field.rig = dataclasses.replace(renderer.rig, own_teeth=False)     # the painted teeth instead
    painted = next(iter(renderer.render(m, 1)))
    cx, hw = int((mesh[61, 0] + mesh[291, 0]) / 2), int((mesh[291, 0] - mesh[61, 0]) * 0.2)
    y0, y1 = int(np.ceil(mesh[13, 1])), int(mesh[14, 1])
    teeth = image[y0:y1, cx - hw:cx + hw].astype(np.float32)              # the portrait's own teeth
    assert y1 - y0 >= 4 and teeth.mean() > 150
    def band(frame):                                                      # the same-size band under the lip
        top = int(np.ceil(landmarks.detect(frame)[13, 1]))
        return frame[top:top + (y1 - y0), cx - hw:cx + hw].astype(np.float32)
    d_own, d_painted = np.abs(band(own) - teeth).mean(), np.abs(band(painted) - teeth).mean()
    assert d_own < 25 and d_own < 0.6 * d_painted, (d_own, d_painted)
