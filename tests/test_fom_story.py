"""`animator: fom` inside the real story pipeline: espeak voices, the tiny SDA fixture model as driver,
the tiny FOM fixture checkpoint as animator (paths from the story front matter)."""
from __future__ import annotations

import pytest

import json

import av
import numpy as np

from deepstory.media import probe
from modules.fom.driving import prepare_driving

from deepstory.pipeline import render_story
from deepstory.progress import Reporter
from deepstory.story import load_story

from storyfiles import TWO, TWO_BODY, make_story_dir, sda_fom_front_matter

BODY = TWO_BODY


@pytest.mark.slow
def test_sda_drives_fom_in_a_story(tmp_path, fixtures_dir, one_torch_thread):
    extra = sda_fom_front_matter(fixtures_dir)
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

    # the whole video: frame count from the timeline, audio and video within one frame
    info = probe(tmp_path / "out" / "tale.mp4")
    timeline = json.loads((tmp_path / "out" / "timeline.json").read_text())
    assert info.frames == sum(c["frames"] for c in timeline["clips"])
    assert abs(info.video_seconds - info.audio_seconds) < 0.040

    # SDA's HxW = 4:3 clips (128x96 for GRID, 16x12 for the tiny model) become 256x256 driving frames:
    # scaled to 256 high (x2 for GRID), zero-padded left and right
    motions = [np.load(p)["motion"] for p in sorted((tmp_path / "cache" / "drive").rglob("*.npz"))]
    assert all(m.shape[1:] == (16, 12, 3) and m.dtype == np.uint8 for m in motions)
    driving = prepare_driving(motions[0][:4], 256)
    assert tuple(driving.shape) == (4, 3, 256, 256)
    assert float(driving[..., :32].abs().max()) == 0.0 and float(driving[..., -32:].abs().max()) == 0.0
    assert float(driving[..., 32:224].mean()) > 0.05

    # swapping one speaker's portrait re-runs FOM for that speaker only; SDA and the voices are reused
    story.write_text(story.read_text().replace('portrait: "astronaut.jpg"', 'portrait: "mirror.png"'))
    swap = Reporter()
    render_story(load_story(story), tmp_path / "out", cache_dir=tmp_path / "cache", reporter=swap)
    assert swap.rendered["voice"] == 0 and swap.rendered["drive"] == 0
    assert swap.rendered["animate"] == 1 and swap.reused["animate"] == 1


@pytest.mark.slow
def test_command_line_names_the_checkpoints(tmp_path, fixtures_dir):
    from storyfiles import run_cli
    story = make_story_dir(tmp_path / "s", BODY, speakers=TWO, animator="fom")
    args = [str(story), "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"), "--quiet"]
    missing = run_cli(*args)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "vox-cpk.pth.tar" in missing.stderr and "first-order-model" in missing.stderr
    res = run_cli(*args, "--fom-config", str(fixtures_dir / "fom" / "tiny-256.yaml"),
                  "--fom-checkpoint", str(fixtures_dir / "fom" / "tiny-cpk.pth.tar"),
                  "--sda-checkpoint", str(fixtures_dir / "sda" / "tiny.dat"))
    assert res.returncode == 0, res.stderr
    info = probe(tmp_path / "out" / "tale.mp4")
    assert info.frames > 25 and abs(info.video_seconds - info.audio_seconds) < 0.040
