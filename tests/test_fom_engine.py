"""`animator: fom` on a real portrait (the astronaut) with the tiny checkpoint: face crop, animation,
feathered paste-back into the full-resolution portrait, exact frame counts, and user-facing errors."""
from __future__ import annotations

from pathlib import Path

import hashlib

import numpy as np
import pytest

from deepstory.engines.base import ClipSpeech
from deepstory.engines.fom import FomEngine
from deepstory.engines.resize import resize_rgb
from deepstory.errors import EngineError
from modules.errors import NoFaceError
from modules.fom import FomAnimator


def _speech(n: int) -> ClipSpeech:
    return ClipSpeech(audio=np.zeros(1600, np.float32), sample_rate=16000, phonemes=None, n_frames=n,
                      fps=25.0, seed=0)


@pytest.fixture(scope="module")
def engine(fom_tiny):
    with FomEngine(*fom_tiny, batch_size=4) as e:
        yield e


@pytest.fixture(scope="module")
def session(engine, astronaut):
    return engine.speaker(astronaut, label="astronaut.png")


def _sda_like(portrait: np.ndarray, session, n: int) -> np.ndarray:
    """SDA-shaped driving frames (n, 128, 96, 3): the face crop squeezed to 128 high x 96 wide, shifted
    a little each frame so there is motion."""
    face = session.crop.cut(portrait)
    base = resize_rgb(face, (96, 128))
    return np.stack([np.roll(base, shift=(i, -i), axis=(0, 1)) for i in range(n)])


def test_engine_contract(engine, fom_tiny):
    assert engine.name == "fom" and engine.accepts == ("sda",) and engine.default_driver == "sda"
    key = engine.cache_key()
    config, checkpoint = fom_tiny
    assert key["checkpoint"] == hashlib.sha256(Path(checkpoint).read_bytes()).hexdigest()
    assert key["config"] == hashlib.sha256(Path(config).read_bytes()).hexdigest()


def test_crop_is_a_square_around_the_face(session, astronaut):
    crop = session.crop
    assert session.output_size == (512, 512)
    assert session.source.shape == (64, 64, 3)
    # the astronaut's face is in the upper middle of the picture; the crop must contain it, not the whole image
    assert 100 < crop.side < 400
    assert crop.x0 < 220 and crop.x0 + crop.side > 260 and crop.y0 < 100 and crop.y0 + crop.side > 160


@pytest.fixture(scope="module")
def plain_animator(fom_tiny):
    with FomAnimator(*fom_tiny) as animator:
        yield animator


@pytest.mark.parametrize("n_motion, n_frames", [(9, 5), (3, 6)])
def test_render_yields_exactly_n_frames_pasted_into_the_portrait(session, astronaut, plain_animator,
                                                                  n_motion, n_frames):
    motion = _sda_like(session.portrait, session, n_motion)
    frames = list(session.render(motion, _speech(n_frames)))
    assert len(frames) == n_frames
    crop = session.crop
    outside = np.ones(astronaut.shape[:2], bool)
    outside[crop.y0:crop.y0 + crop.side, crop.x0:crop.x0 + crop.side] = False
    for f in frames:
        assert f.shape == (512, 512, 3) and f.dtype == np.uint8
        assert np.array_equal(f[outside], astronaut[outside])       # untouched outside the crop
    # inside, where the feathered mask is 1, the frame is the animated 64x64 patch scaled to the crop
    driving = list(motion[:n_frames]) + [motion[-1]] * max(0, n_frames - n_motion)
    patches = list(plain_animator.animate(session.source, driving, relative=True, adapt_movement_scale=True))
    c = crop.side // 2
    core = (slice(crop.y0 + c - 20, crop.y0 + c + 20), slice(crop.x0 + c - 20, crop.x0 + c + 20))
    for f, patch in zip(frames, patches):
        up = resize_rgb(patch, (crop.side, crop.side))
        assert np.abs(f[core].astype(int) - up[c - 20:c + 20, c - 20:c + 20].astype(int)).max() <= 1
    # the clip moves (different driving frames give different pictures)
    assert not np.array_equal(frames[0][core], frames[-1][core]) or n_motion == 1


def test_large_portrait_is_scaled_to_1024_with_even_sides(engine, astronaut):
    big = resize_rgb(astronaut, (1400, 1400))[:1201]                # 1400 wide, 1201 high
    s = engine.speaker(big, label="big.png")
    assert s.output_size == (1024, 878)
    frames = list(s.render(np.zeros((2, 128, 96, 3), np.uint8), _speech(2)))
    assert all(f.shape == (878, 1024, 3) for f in frames)


def test_no_face_names_the_label(engine):
    blank = np.full((200, 300, 3), 128, np.uint8)
    with pytest.raises(NoFaceError, match="sky.png"):
        engine.speaker(blank, label="sky.png")


def test_missing_checkpoint_says_what_to_download(fom_tiny, tmp_path):
    missing = tmp_path / "vox-cpk.pth.tar"
    with pytest.raises(EngineError) as err:
        FomEngine(fom_tiny[0], missing)
    msg = str(err.value)
    assert str(missing) in msg and "vox-cpk.pth.tar" in msg and "first-order-model" in msg


def test_find_best_frame_picks_the_aligned_face(astronaut):
    from modules.fom import find_best_frame
    face = resize_rgb(astronaut[0:300, 100:400], (256, 256))
    tilted = [np.ascontiguousarray(np.rot90(face, k)) for k in (1, 3)]
    # a narrower face: scale-normalised landmarks still differ in shape
    squeezed = np.pad(resize_rgb(face, (180, 256)), ((0, 0), (38, 38), (0, 0)), mode="edge")
    frames = [tilted[0], squeezed, face[:, ::-1].copy(), face, tilted[1]]
    assert find_best_frame(face, frames) == 3
    assert find_best_frame(np.zeros((64, 64, 3), np.uint8), frames) == 0
