"""`run_story.py fom train` / `fom reconstruct` end to end on tiny synthetic mp4 videos written here.

Tiny config (fixtures/fom-train/tiny-train.yaml) fine-tuning the tiny fixture checkpoint, a random VGG19 made
by the fixture README's rule and saved in torchvision's file layout; then --resume, the reconstruction metric,
and the fine-tuned checkpoint animating a story.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from PIL import Image

from deepstory.cli import main
from deepstory.pipeline import render_story
from deepstory.progress import Reporter
from deepstory.story import load_story
from modules.fom import load_checkpoint
from modules.fom.vgg import seeded_vgg19_state

from fom_train_data import write_videos
from storyfiles import make_story_dir, sda_fom_front_matter

LINE = re.compile(r"^epoch (\d+) mean: (.*)$")


def epoch_means(log: str) -> dict[int, dict[str, float]]:
    out = {}
    for line in log.splitlines():
        m = LINE.match(line)
        if m:
            out[int(m.group(1))] = {k: float(v) for k, v in (p.split(" - ") for p in m.group(2).split("; "))}
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory, fixtures_dir, one_torch_thread):
    """Two epochs of fine-tuning, then --resume for one more; returns the paths and exit codes."""
    root = tmp_path_factory.mktemp("fomtrain")
    write_videos(root / "data" / "train", count=4, frames=8)
    write_videos(root / "data" / "test", count=1, frames=6)
    vgg = root / "vgg19.pth"
    torch.save(seeded_vgg19_state(), vgg)
    config = fixtures_dir / "fom-train" / "tiny-train.yaml"
    common = ["fom", "train", "--config", str(config), "--data", str(root / "data"), "--vgg", str(vgg),
              "--out", str(root / "run"), "--device", "cpu", "--repeats", "2", "-q"]
    first = main([*common, "--checkpoint", str(fixtures_dir / "fom" / "tiny-cpk.pth.tar"), "--epochs", "2"])
    after_first = torch.load(root / "run" / "00000072-checkpoint.pth.tar", weights_only=True)
    resumed = main([*common, "--resume", "--epochs", "1"])
    return {"root": root, "config": config, "codes": (first, resumed), "after_first": after_first}


def test_training_writes_checkpoints_log_and_pictures(run):
    assert run["codes"] == (0, 0)
    out = run["root"] / "run"
    # resumed from the fixture checkpoint's epoch 70: epochs 71, 72, then 73 after --resume
    assert sorted(p.name for p in out.glob("*-checkpoint.pth.tar")) == [
        f"000000{e}-checkpoint.pth.tar" for e in (71, 72, 73)]
    for e in (71, 72, 73):
        picture = Image.open(out / "train-vis" / f"000000{e}-rec.png")
        assert picture.size == (4 * 64, 2 * 64)          # source | driving | prediction | occlusion, 2 samples
        assert np.asarray(picture).std() > 10
    log = (out / "log.txt").read_text()
    iterations = [line for line in log.splitlines() if " iter " in line]
    assert len(iterations) == 3 * 4                      # 4 videos x 2 repeats / batch 2, per epoch
    for name in ("perceptual", "gen_gan", "feature_matching", "equivariance_value", "equivariance_jacobian",
                 "disc_gan"):
        assert all(f"{name} - " in line for line in iterations)


def test_the_loss_decreases(run):
    means = epoch_means((run["root"] / "run" / "log.txt").read_text())
    assert sorted(means) == [71, 72, 73]
    assert means[73]["perceptual"] < 0.98 * means[71]["perceptual"], means
    generator_total = {e: sum(v for k, v in m.items() if k != "disc_gan") for e, m in means.items()}
    assert generator_total[73] < generator_total[71], generator_total


def test_resume_continues_from_the_saved_epoch(run):
    out = run["root"] / "run"
    last = torch.load(out / "00000073-checkpoint.pth.tar", weights_only=True)
    first = run["after_first"]
    assert first["epoch"] == 72 and last["epoch"] == 73
    # Adam continued: the fixture's step 1, +8 iterations, +4 after resuming
    assert float(first["optimizer_generator"]["state"][0]["step"]) == 9
    assert float(last["optimizer_generator"]["state"][0]["step"]) == 13
    assert not torch.equal(first["generator"]["final.weight"], last["generator"]["final.weight"])


def test_resume_after_the_last_epoch_says_there_is_nothing_to_train(run, capsys):
    code = main(["fom", "train", "--config", str(run["config"]), "--data", str(run["root"] / "data"),
                 "--vgg", str(run["root"] / "vgg19.pth"), "--out", str(run["root"] / "run"), "--resume", "-q",
                 "--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "nothing to train" in err[0] and "epoch 73" in err[0]


def test_reconstruct_prints_per_video_and_mean_and_writes_videos(run, capsys, fixtures_dir):
    ckpt = run["root"] / "run" / "00000073-checkpoint.pth.tar"
    out = run["root"] / "recon"
    code = main(["fom", "reconstruct", "--config", str(run["config"]), "--checkpoint", str(ckpt),
                 str(run["root"] / "data"), "--out", str(out), "--device", "cpu", "-q"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert len(lines) == 2 and "id0#clip.mp4: L1 " in lines[0] and "(6 frames)" in lines[0]   # the test/ split
    per_video = float(re.search(r"L1 ([0-9.]+)", lines[0]).group(1))
    mean = float(re.search(r"L1: ([0-9.]+) over 1 video", lines[1]).group(1))
    assert 0 < per_video == mean < 1
    from deepstory.media import probe
    info = probe(out / "id0#clip-reconstruction.mp4")
    assert info.frames == 6 and (info.width, info.height) == (128, 64)


def test_the_fine_tuned_checkpoint_animates_a_story(run, tmp_path, fixtures_dir):
    ckpt = run["root"] / "run" / "00000073-checkpoint.pth.tar"
    kp_detector, generator = load_checkpoint(run["config"], ckpt, device="cpu")     # strict, inference layout
    assert not generator.training
    speakers = {"Narrator": {"voice": "espeak:en-us+m3", "portrait": "hopper.jpg"}}
    extra = sda_fom_front_matter(fixtures_dir, f'config: "{run["config"]}", checkpoint: "{ckpt}"')
    story = make_story_dir(tmp_path / "s", "Narrator: The night was cold.\n", speakers=speakers,
                           animator="fom", extra=extra)
    rep = Reporter()
    render_story(load_story(story), tmp_path / "out", cache_dir=tmp_path / "cache", reporter=rep)
    assert rep.rendered["animate"] == 1
    assert (tmp_path / "out" / "tale.mp4").is_file()
