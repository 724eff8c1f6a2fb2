"""Bad input to `fom train` / `fom reconstruct`: one clear `error:` line each, exit code 2."""
from __future__ import annotations

import pytest
import torch
import yaml

from deepstory.cli import main
from deepstory.media import encode_clip
from modules.fom.vgg import seeded_vgg19_state

from fom_train_data import shape_frames, write_videos
from storyfiles import run_cli


@pytest.fixture(scope="module")
def setup(tmp_path_factory, fixtures_dir):
    root = tmp_path_factory.mktemp("fomerr")
    write_videos(root / "good", count=2, frames=4)
    vgg = root / "vgg19.pth"
    torch.save(seeded_vgg19_state(), vgg)
    return {"root": root, "vgg": vgg, "config": fixtures_dir / "fom-train" / "tiny-train.yaml",
            "cpk": fixtures_dir / "fom" / "tiny-cpk.pth.tar"}


def train(setup, *extra, data=None, config=None, vgg="default", out=None):
    args = ["fom", "train", "--config", str(config or setup["config"]), "--data", str(data or setup["root"] / "good"),
            "--out", str(out or setup["root"] / "run"), "--device", "cpu", "-q", "--epochs", "1"]
    if vgg == "default":
        args += ["--vgg", str(setup["vgg"])]
    elif vgg is not None:
        args += ["--vgg", str(vgg)]
    return main(args + list(extra))


def one_error(capsys, *words):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    for word in words:
        assert word in err[0], err[0]
    return err[0]


def test_empty_data_folder(setup, capsys):
    (setup["root"] / "empty").mkdir()
    assert train(setup, data=setup["root"] / "empty") == 2
    one_error(capsys, "no videos in", "empty")


def test_missing_data_folder(setup, capsys):
    assert train(setup, data=setup["root"] / "nowhere") == 2
    one_error(capsys, "training data folder not found")


def test_unreadable_video(setup, capsys):
    bad = setup["root"] / "corrupt"
    bad.mkdir()
    (bad / "clip.mp4").write_bytes(b"\x00not a video at all" * 50)
    assert train(setup, data=bad) == 2
    one_error(capsys, "cannot read video", "clip.mp4")


def test_videos_shorter_than_two_frames(setup, capsys):
    short = setup["root"] / "short"
    short.mkdir()
    encode_clip(shape_frames(0, frames=1), short / "one.mp4", 25, (64, 64))
    assert train(setup, data=short) == 2
    one_error(capsys, "one.mp4 has 1 frame(s)", "at least 2 frames")


def test_config_without_train_params(setup, capsys):
    data = yaml.safe_load(setup["config"].read_text())
    del data["train_params"]
    config = setup["root"] / "inference-only.yaml"
    config.write_text(yaml.safe_dump(data))
    assert train(setup, config=config) == 2
    one_error(capsys, "no train_params")


def test_pyramid_scale_too_small_for_vgg(setup, capsys, fom_tiny):
    # the inference fixture config keeps the original's 4 scales: 64 px x 0.125 = 8 px
    assert train(setup, "--checkpoint", str(setup["cpk"]), config=fom_tiny[0]) == 2
    one_error(capsys, "[0.125]", "below 16 px")


def test_vgg_file_with_wrong_keys(setup, capsys):
    wrong = setup["root"] / "not-vgg.pth"
    torch.save({"conv.weight": torch.zeros(3)}, wrong)
    assert train(setup, vgg=wrong) == 2
    one_error(capsys, "does not hold torchvision VGG19 weights", "vgg19-dcbb9e9d.pth")


def test_no_vgg_says_where_to_get_it(setup, capsys):
    assert train(setup, vgg=None) == 2
    one_error(capsys, "--vgg", "download.pytorch.org", "--no-perceptual")


def test_unwritable_out(setup, capsys):
    blocker = setup["root"] / "a-file"
    blocker.write_text("x")
    assert train(setup, out=blocker / "run") == 2
    one_error(capsys, "cannot write to --out")


def test_batch_larger_than_the_data(setup, capsys):
    assert train(setup, "--batch-size", "8") == 2
    one_error(capsys, "less than the batch size 8")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_requested_without_cuda(setup, capsys):
    assert train(setup, "--device", "cuda") == 2
    one_error(capsys, "CUDA is not available")


def test_reconstruct_missing_video(setup, capsys):
    assert main(["fom", "reconstruct", "--config", str(setup["config"]), "--checkpoint", str(setup["cpk"]),
                 str(setup["root"] / "missing.mp4")]) == 2
    one_error(capsys, "video not found")


def test_no_perceptual_trains_without_vgg(setup, capsys):
    out = setup["root"] / "noperc"
    assert train(setup, "--no-perceptual", "--checkpoint", str(setup["cpk"]), vgg=None, out=out) == 0
    log = (out / "log.txt").read_text()
    assert "perceptual" not in log and "gen_gan - " in log
    assert (out / "00000071-checkpoint.pth.tar").is_file()


def test_a_real_process_exits_2(setup):
    res = run_cli("fom", "train", "--config", str(setup["config"]), "--data", str(setup["root"] / "good"))
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "error: the perceptual loss needs VGG19 weights" in res.stderr
