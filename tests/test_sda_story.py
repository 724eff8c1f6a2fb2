"""`driver: sda` inside the real story pipeline (espeak voices, tiny SDA fixture model, still animator):
the drive stage makes model-size face clips with each clip's exact frame count, they are cached, and a
portrait swap does not re-run SDA. The sda -> fom path is in test_fom_story.py."""
from __future__ import annotations


import numpy as np
import pytest

from deepstory.errors import EngineError

from storyfiles import TWO, TWO_BODY, make_story_dir, render

BODY = TWO_BODY


def test_sda_driver_in_story(tmp_path, fixtures_dir):
    tiny = fixtures_dir / "sda" / "tiny.dat"
    story = make_story_dir(tmp_path / "s", BODY, speakers=TWO,
                           extra=f'driver: sda\nsda: {{checkpoint: "{tiny}"}}')
    cache = tmp_path / "cache"
    first = render(story, tmp_path / "out", cache)
    assert first.rendered["drive"] == 2
    motions = [np.load(p)["motion"] for p in sorted((cache / "drive").rglob("*.npz"))]
    assert len(motions) == 2
    for m in motions:
        assert m.dtype == np.uint8 and m.shape[1:] == (16, 12, 3) and m.shape[0] > 10
        assert m.std(axis=0).mean() > 0.5
    assert (tmp_path / "out" / "tale.mp4").is_file()

    story.write_text(story.read_text().replace('portrait: "astronaut.jpg"', 'portrait: "mirror.png"'))
    second = render(story, tmp_path / "out", cache)
    assert second.rendered["drive"] == 0 and second.reused["drive"] == 2


def test_missing_sda_checkpoint_is_one_clear_error(tmp_path):
    story = make_story_dir(tmp_path / "s", BODY, speakers=TWO,
                           extra=f'driver: sda\nsda: {{checkpoint: "{tmp_path / "nowhere" / "grid.dat"}"}}')
    with pytest.raises(EngineError, match="grid.dat.*speech-driven-animation"):
        render(story, tmp_path / "out", tmp_path / "cache")
