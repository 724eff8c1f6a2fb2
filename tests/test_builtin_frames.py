"""Built-in animator: what stays still (background, upper-face identity), determinism, sizes, no face.

Portrait: skimage's astronaut (NASA, public domain). Motion: the viseme driver on espeak-ng speech
(espeakng-loader wheel), with its seeded blinks and head sway. Landmarks: MediaPipe face mesh.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage.metrics import structural_similarity

from deepstory.engines.base import ClipSpeech
from deepstory.engines.builtin import BuiltinAnimator, VisemeDriver
from modules import landmarks
from modules.errors import NoFaceError
from modules.facewarp.motion import BLINK

FPS = 25
TEXT = "I walked home along the old harbour road, and the wind came in cold from the sea."


@pytest.fixture(scope="module")
def clip() -> ClipSpeech:
    from deepstory.voices.espeak import EspeakVoice
    speech = EspeakVoice("espeak:en-us").synthesize(TEXT)
    n = int(np.ceil(len(speech.audio) / speech.sample_rate * FPS))
    return ClipSpeech(speech.audio, speech.sample_rate, speech.phonemes, n, FPS, seed=5)


@pytest.fixture(scope="module")
def motion(clip) -> np.ndarray:
    return VisemeDriver().drive(clip)


@pytest.fixture(scope="module")
def frames(astronaut, clip, motion) -> list[np.ndarray]:
    return list(BuiltinAnimator(max_side=512).speaker(astronaut).render(motion, clip))


def test_renders_exact_frame_count_size_and_type(frames, clip, motion, astronaut):
    assert len(frames) == clip.n_frames
    assert all(f.shape == astronaut.shape and f.dtype == np.uint8 for f in frames)
    # the face really moves (mouth and blinks) while the clip plays
    assert motion[:, BLINK].max() > 0.9
    assert max(np.abs(f.astype(int) - astronaut).max() for f in frames) > 60


def test_background_outside_grown_face_hull_untouched(frames, astronaut):
    mesh = landmarks.detect(astronaut)
    hull = cv2.convexHull(mesh.astype(np.float32)).reshape(-1, 2)
    centre = mesh.mean(axis=0)
    grown = centre + (hull - centre) * 1.25
    inside = np.zeros(astronaut.shape[:2], np.uint8)
    cv2.fillConvexPoly(inside, np.round(grown).astype(np.int32), 1)
    # the jaw drops the chin (issue #12): the neck just below it stretches with it, by at most the
    # chin's own travel (0.8 of the widest lip gap, 0.22 face heights)
    face_h = float(np.linalg.norm(mesh[152] - mesh[10]))
    cv2.fillConvexPoly(inside, np.round(grown + [0, 0.8 * 0.22 * face_h]).astype(np.int32), 1)
    outside = inside == 0
    mae = [np.abs(f.astype(np.float64) - astronaut)[outside].mean() for f in frames]
    assert max(mae) <= 1 / 255, f"background changed by up to {max(mae) * 255:.3f}/255 mean abs"


UPPER_FACE = [33, 133, 362, 263, 159, 145, 386, 374, 1, 4, 5, 6, 168, 197, 195, 70, 63, 105, 66, 107,
              336, 296, 334, 293, 300, 10, 151, 9, 8]


def _eye_nose_ssim(frames, blink, portrait, align: bool) -> list[float]:
    mesh = landmarks.detect(portrait)
    x0, x1 = int(mesh[[33, 263], 0].min()) - 4, int(mesh[[33, 263], 0].max()) + 4
    y0, y1 = int(mesh[[105, 334, 159, 386], 1].min()) - 4, int(mesh[2, 1]) + 2
    ref = portrait[y0:y1, x0:x1]
    scores = []
    for f, b in zip(frames, blink):
        if b >= 0.05:
            continue
        if align:
            # undo the head's few-degree sway: similarity fit of the frame's upper-face landmarks
            found = landmarks.detect(f)
            m, _ = cv2.estimateAffinePartial2D(found[UPPER_FACE], mesh[UPPER_FACE])
            f = cv2.warpAffine(f, m, (f.shape[1], f.shape[0]), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        scores.append(structural_similarity(f[y0:y1, x0:x1], ref, channel_axis=2, data_range=255))
    return scores


def test_upper_face_keeps_identity_when_not_blinking(frames, motion, astronaut):
    """Eye/nose region vs the portrait, after undoing the head sway found by the landmark detector."""
    scores = _eye_nose_ssim(frames, motion[:, BLINK], astronaut, align=True)
    assert len(scores) > len(frames) // 2
    assert min(scores) >= 0.9, f"eye/nose SSIM down to {min(scores):.3f} (median {np.median(scores):.3f})"


def test_upper_face_untouched_by_speech_without_sway(astronaut, clip):
    """With head motion off, the eye/nose region of a talking, non-blinking face is the portrait's."""
    motion = VisemeDriver(sway_deg=(0, 0, 0), nod_deg=0).drive(clip)[::3]
    short = ClipSpeech(clip.audio, clip.sample_rate, clip.phonemes, len(motion), FPS, seed=clip.seed)
    frames = list(BuiltinAnimator(max_side=512).speaker(astronaut).render(motion, short))
    scores = _eye_nose_ssim(frames, motion[:, BLINK], astronaut, align=False)
    assert len(scores) > len(frames) // 2
    assert min(scores) >= 0.9, f"eye/nose SSIM down to {min(scores):.3f} (median {np.median(scores):.3f})"


def test_same_seed_renders_identical_bytes(astronaut, clip, frames):
    again = list(BuiltinAnimator(max_side=512).speaker(astronaut).render(VisemeDriver().drive(clip), clip))
    assert all(np.array_equal(a, b) for a, b in zip(frames, again))
    other = ClipSpeech(clip.audio, clip.sample_rate, clip.phonemes, clip.n_frames, clip.fps, seed=6)
    changed = list(BuiltinAnimator(max_side=512).speaker(astronaut).render(VisemeDriver().drive(other), other))
    assert any(not np.array_equal(a, b) for a, b in zip(frames, changed))


def test_output_size_scaled_even_and_face_anywhere(astronaut, clip, motion):
    # the astronaut's head placed off-centre on a wide, odd-sized canvas
    canvas = np.full((701, 1203, 3), 90, np.uint8)
    canvas[150:662, 640:1152] = astronaut
    anim = BuiltinAnimator(max_side=600)
    session = anim.speaker(canvas, label="wide.png")
    assert session.output_size == (600, 350)
    short = ClipSpeech(clip.audio, clip.sample_rate, clip.phonemes, 6, FPS, seed=1)
    out = list(session.render(motion[:6], short))
    assert len(out) == 6 and all(f.shape == (350, 600, 3) for f in out)
    # far from the face the frame is the scaled portrait itself
    assert np.array_equal(out[0][:, :200], out[3][:, :200])


def test_no_face_raises_naming_the_portrait_or_renders_still():
    blank = np.full((240, 320, 3), 128, np.uint8)
    with pytest.raises(NoFaceError, match="empty-wall.jpg"):
        BuiltinAnimator().speaker(blank, label="empty-wall.jpg")
    session = BuiltinAnimator(on_no_face="still").speaker(blank, label="empty-wall.jpg")
    speech = ClipSpeech(np.zeros(1600, np.float32), 16000, None, 3, FPS, seed=0)
    frames = list(session.render(np.zeros((3, 7), np.float32), speech))
    assert len(frames) == 3 and all(np.array_equal(f, blank) for f in frames)


def test_cache_key_names_every_output_setting():
    a, b = BuiltinAnimator(max_side=512), BuiltinAnimator(max_side=1024)
    assert a.cache_key() != b.cache_key()
    assert BuiltinAnimator(flow_res=32).cache_key() != BuiltinAnimator(flow_res=64).cache_key()
    assert VisemeDriver(sway_deg=(1, 1, 1)).cache_key() != VisemeDriver().cache_key()
