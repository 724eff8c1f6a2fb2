"""Clips of every length from one frame up: the driver's smoothing must not change the motion's length
(np.convolve(mode="same") returns max(n, k) values), and a one-word story renders end to end."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from deepstory.engines.base import ClipSpeech
from deepstory.engines.builtin import BuiltinAnimator, VisemeDriver
from modules.facewarp.motion import CHANNELS
from modules.phonemes import Phoneme
from storyfiles import REPO, make_story_dir

RATE, FPS = 22050, 25


def _speech(n: int, with_phonemes: bool) -> ClipSpeech:
    t = np.arange(n * RATE // FPS) / RATE
    audio = (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32)
    ph = (Phoneme("h", 0.0, n / FPS / 2), Phoneme("aI", n / FPS / 2, n / FPS)) if with_phonemes else None
    return ClipSpeech(audio, RATE, ph, n, FPS, seed=3)


@pytest.mark.parametrize("with_phonemes", [True, False])
def test_driver_gives_exactly_n_frames_for_every_short_length(with_phonemes):
    drv = VisemeDriver()
    for n in range(1, 30):
        motion = drv.drive(_speech(n, with_phonemes))
        assert motion.shape == (n, len(CHANNELS)), n
        assert np.isfinite(motion).all()


def test_one_frame_clip_renders(astronaut):
    anim = BuiltinAnimator(max_side=128)
    speech = _speech(1, True)
    motion = VisemeDriver().drive(speech)
    with anim, anim.speaker(astronaut) as session:
        frames = list(session.render(motion, speech))
    assert len(frames) == 1 and frames[0].shape[2] == 3


@pytest.mark.slow
def test_one_word_story_renders(tmp_path):
    story = make_story_dir(tmp_path / "s", "Narrator: hi\n", animator="builtin",
                           speakers={"Narrator": {"voice": "espeak:en-us", "portrait": "astronaut.jpg"}})
    r = subprocess.run([sys.executable, str(REPO / "run_story.py"), str(story), "-o", str(tmp_path / "out"),
                        "--cache", str(tmp_path / "cache"), "-q"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "tale.mp4").stat().st_size > 0


@pytest.mark.slow
def test_animate_a_fifth_of_a_second(tmp_path):
    wav = tmp_path / "short.wav"
    t = np.arange(int(0.2 * 16000)) / 16000
    sf.write(wav, (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), 16000)
    out = tmp_path / "o.mp4"
    r = subprocess.run([sys.executable, str(REPO / "run_story.py"), "animate", "--portrait",
                        str(REPO / "data" / "portraits" / "astronaut.jpg"), "--audio", str(wav), "-o", str(out),
                        "--max-side", "128", "-q"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    import av
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 5
