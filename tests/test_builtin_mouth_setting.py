"""`builtin: {mouth: X}` front matter: how much the built-in animator's mouth moves (issue #12)."""
from __future__ import annotations

import numpy as np
import pytest

from deepstory.engines import make_animator
from deepstory.engines.base import ClipSpeech
from deepstory.settings import BuiltinSettings, SettingsError, from_mapping
from modules import landmarks
from modules.facewarp import CHANNELS


def test_mouth_setting_is_range_checked():
    assert from_mapping(BuiltinSettings, {"mouth": 1.5}, "builtin").mouth == 1.5
    assert from_mapping(BuiltinSettings, None, "builtin").mouth == 1.0
    for bad in (0.2, 3, "loud", True):
        with pytest.raises(SettingsError, match="builtin.mouth"):
            from_mapping(BuiltinSettings, {"mouth": bad}, "builtin")


def _gap(mouth: float, portrait: np.ndarray) -> float:
    anim = make_animator("builtin", max_side=512, builtin=BuiltinSettings(mouth=mouth))
    row = np.zeros((1, len(CHANNELS)), np.float32)
    row[0, CHANNELS.index("open")] = 0.5
    frame = next(iter(anim.speaker(portrait).render(row, ClipSpeech(np.zeros(1, np.float32), 16000, None,
                                                                    1, 25, 0))))
    return landmarks.mouth_opening(landmarks.detect(frame))


def test_mouth_setting_scales_the_opening_and_the_cache_key(astronaut):
    small, normal, big = (_gap(m, astronaut) for m in (0.5, 1.0, 1.5))
    assert small < normal * 0.8 and big > normal * 1.2, (small, normal, big)
    keys = [make_animator("builtin", max_side=512, builtin=BuiltinSettings(mouth=m)).cache_key() for m in (1.0, 1.5)]
    assert keys[0] != keys[1]
