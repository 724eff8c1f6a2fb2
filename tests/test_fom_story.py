"""`animator: fom` inside the real story pipeline: espeak voices, the tiny SDA fixture model as driver,
the tiny FOM fixture checkpoint as animator (paths from the story front matter)."""
from __future__ import annotations

import av
import numpy as np

from deepstory.pipeline import render_story
from deepstory.progress import Reporter
from deepstory.story import load_story

from storyfiles import make_story_dir

TWO = {"Narrator": {"voice": "espeak:en-us+m3", "portrait": "hopper.jpg"},
       "Eileen": {"voice": "espeak:en-gb+f3", "portrait": "astronaut.jpg"}}
BODY = "Narrator: The night was cold.\nEileen: I hate portals.\n"


def test_sda_drives_fom_in_a_story(tmp_path, fixtures_dir, one_torch_thread):
    fom = fixtures_dir / "fom"
    extra = (f'sda: {{checkpoint: "{fixtures_dir / "sda" / "tiny.dat"}"}}\n'
             f'fom: {{config: "{fom / "tiny-256.yaml"}", checkpoint: "{fom / "tiny-cpk.pth.tar"}"}}')
    story = make_story_dir(tmp_path / "s", BODY, speakers=TWO, animator="fom", extra=extra)
    rep = Reporter()
    render_story(load_story(story), tmp_path / "out", cache_dir=tmp_path / "cache", reporter=rep)
    assert rep.rendered["drive"] == 2 and rep.rendered["animate"] == 2
    assert (tmp_path / "out" / "tale.mp4").is_file()
    clips = sorted((tmp_path / "cache" / "animate").rglob("*.mp4"))
    assert len(clips) == 2
    for clip in clips:
        with av.open(str(clip)) as container:
            frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(np.float32)
        assert len(frames) > 10
        # within one clip the face crop changes (SDA drives it) while the rest of the portrait holds still
        motion = frames.std(axis=0).mean(axis=-1)
        assert motion.max() > 0.5
        assert np.median(motion) < 0.05
