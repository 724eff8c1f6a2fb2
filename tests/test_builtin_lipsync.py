"""Built-in animator, audio-driven: lip sync and silence on a real recording, measured on the video.

Recording: `sample.wav` from the pyannote-audio 4.0.7 wheel (30 s, 16 kHz, two speakers), seconds 5-15
(1.7 s of silence, then conversational speech with pauses). Portrait: skimage's astronaut (public domain).
The mouth opening is measured by running MediaPipe's face mesh on every rendered frame.
"""
from __future__ import annotations

import numpy as np
import pytest

from builtin_measure import FPS, best_lag_pearson, frame_rms, openings, pyannote_sample, runs
from deepstory.engines.base import ClipSpeech
from deepstory.engines.builtin import BuiltinAnimator, VisemeDriver

CLOSED = 0.025   # inner-lip gap under 2.5% of face height: lips together (they measure ~0.005-0.015)


@pytest.fixture(scope="module")
def rendered(request, astronaut):
    audio, sr = pyannote_sample(request.config.cache.mkdir("builtin-sample-audio"))
    audio = audio[5 * sr:15 * sr]
    n = len(audio) * FPS // sr
    speech = ClipSpeech(audio, sr, None, n, FPS, seed=3)
    motion = VisemeDriver().drive(speech)
    session = BuiltinAnimator(max_side=512).speaker(astronaut, label="astronaut")
    frames = list(session.render(motion, speech))
    return audio, sr, n, frames, openings(frames)


def test_face_found_in_every_frame(rendered):
    *_, frames, opening = rendered
    assert len(frames) == 250
    assert np.isfinite(opening).all()


def test_mouth_opening_follows_speech_envelope(rendered):
    audio, sr, n, _, opening = rendered
    rms = frame_rms(audio, sr, n)
    r, lag = best_lag_pearson(opening, rms, max_lag=2)
    assert r >= 0.6, f"Pearson(mouth opening, speech RMS) = {r:.3f} at best lag {lag}"
    # and the mouth really moves: speech frames open well past the closed threshold
    assert np.percentile(opening, 90) > 2 * CLOSED


def test_mouth_closed_in_silence(rendered):
    audio, sr, n, _, opening = rendered
    rms = frame_rms(audio, sr, n)
    # silent: 40 dB below the clip's loud speech, in gaps of at least 200 ms (5 frames)
    silent = runs(rms < np.percentile(rms, 95) * 10 ** (-40 / 20), 5)
    assert silent.sum() >= 40, "the excerpt should contain silence to test"
    closed = np.mean(opening[silent] < CLOSED)
    assert closed >= 0.9, f"mouth closed in only {closed:.0%} of {silent.sum()} silent frames"
