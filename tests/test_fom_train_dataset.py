"""Training data reading: every accepted video form, resizing to any H x W, pair sampling, augmentation."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from deepstory.fom_dataset import (AugmentParams, DatasetError, PairDataset, augment_pair, read_video,
                                   split_folders)
from deepstory.media import encode_clip

from fom_train_data import shape_frames

HW = (32, 48)          # a non-square frame_shape


@pytest.fixture(scope="module")
def frames():
    return shape_frames(3, frames=5, size=64)


def test_every_video_form_reads_to_the_frame_shape(tmp_path, frames):
    encode_clip(frames, tmp_path / "a.mp4", 25, (64, 64))
    Image.fromarray(frames[0]).save(tmp_path / "b.gif", save_all=True,
                                    append_images=[Image.fromarray(f) for f in frames[1:]], duration=40)
    (tmp_path / "c").mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(tmp_path / "c" / f"{i:03d}.png")
    # the original's concatenated layout: frames of the config's aspect side by side
    tiles = [np.asarray(Image.fromarray(f).resize((96, 64))) for f in frames]
    Image.fromarray(np.concatenate(tiles, axis=1)).save(tmp_path / "d.png")
    train, test = split_folders(tmp_path)
    assert [p.name for p in train] == ["a.mp4", "b.gif", "c", "d.png"] and test == train
    for path in train:
        video = read_video(path, HW)
        assert video.shape == (5, 32, 48, 3) and video.dtype == np.uint8, path
        # content survives: the frames differ over time and match the resized original frame 0
        assert np.abs(video[0].astype(int) - video[2]).mean() > 1
        expected = np.asarray(Image.fromarray(frames[0]).resize((48, 32), Image.BICUBIC)).astype(int)
        assert np.abs(video[0].astype(int) - expected).mean() < 12, path    # mp4/gif are lossy


def test_concatenated_png_of_the_wrong_width(tmp_path):
    Image.fromarray(np.zeros((32, 100, 3), np.uint8)).save(tmp_path / "bad.png")
    with pytest.raises(DatasetError, match="48 px side by side"):
        read_video(tmp_path / "bad.png", HW)


def test_train_test_split_and_id_sampling(tmp_path, frames):
    for split, names in (("train", ["ann#1.mp4", "ann#2.mp4", "bob#1.mp4"]), ("test", ["cat#1.mp4"])):
        (tmp_path / split).mkdir()
        for name in names:
            encode_clip(frames, tmp_path / split / name, 25, (64, 64))
    train, test = split_folders(tmp_path)
    assert [p.name for p in train] == ["ann#1.mp4", "ann#2.mp4", "bob#1.mp4"] and [p.name for p in test] == ["cat#1.mp4"]
    by_id = PairDataset(train, HW, id_sampling=True)
    assert len(by_id) == 2 and by_id.groups == [[0, 1], [2]]
    assert len(PairDataset(train, HW, id_sampling=False)) == 3
    batches = list(by_id.batches(2, 3, np.random.default_rng(0)))        # 2 ids x 3 repeats / 2
    assert len(batches) == 3 == by_id.batches_per_epoch(2, 3)
    assert batches[0]["source"].shape == (2, 3, 32, 48) and batches[0]["source"].dtype == np.float32
    assert 0 <= batches[0]["driving"].min() and batches[0]["driving"].max() <= 1


def test_pairs_are_two_frames_in_time_order(tmp_path):
    # frame t is a flat image of value 40 * t, so a sample tells which frames it drew
    Path = type(tmp_path)
    folder = tmp_path / "v"
    folder.mkdir()
    for t in range(6):
        Image.fromarray(np.full((8, 8, 3), 40 * t, np.uint8)).save(folder / f"{t}.png")
    data = PairDataset([Path(folder)], (8, 8))
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(60):
        s = data.sample(0, rng)
        i, j = round(float(s["source"].mean()) * 255 / 40), round(float(s["driving"].mean()) * 255 / 40)
        assert i <= j
        seen.add((i, j))
    assert len(seen) > 10 and any(i == j for i, j in seen)     # with replacement, as the original


def test_augmentation_flips_and_jitters(frames):
    pair = [frames[0], frames[4]]
    flips = AugmentParams(horizontal_flip=True, time_flip=True, brightness=0, contrast=0, saturation=0, hue=0)
    outcomes = set()
    for seed in range(40):
        a, b = augment_pair(pair, flips, np.random.default_rng(seed))
        time_flipped = np.array_equal(a, pair[1]) or np.array_equal(a, pair[1][:, ::-1])
        mirrored = np.array_equal(a, (pair[1] if time_flipped else pair[0])[:, ::-1])
        assert np.array_equal(b, (pair[0] if time_flipped else pair[1])[:, ::-1] if mirrored
                              else (pair[0] if time_flipped else pair[1]))
        outcomes.add((time_flipped, mirrored))
    assert len(outcomes) == 4
    jitter = AugmentParams(horizontal_flip=False, time_flip=False)
    a, b = augment_pair(pair, jitter, np.random.default_rng(1))
    assert a.shape == pair[0].shape and a.dtype == np.uint8
    diff = np.abs(a.astype(int) - pair[0]).mean()
    assert 0.5 < diff < 40                     # changed, but still the same picture
    assert AugmentParams.from_config({}) is None
    vox = AugmentParams.from_config({"augmentation_params": {"flip_param": {"horizontal_flip": True, "time_flip": True},
                                                             "jitter_param": {"brightness": 0.1, "contrast": 0.1,
                                                                              "saturation": 0.1, "hue": 0.1}}})
    assert vox == AugmentParams()
