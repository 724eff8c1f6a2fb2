"""Training data for FOM: videos read as the original `frames_dataset.py` reads them, frame pairs, augmentation.

A data folder holds videos (`.mp4`, `.mov`, `.gif`, folders of frames, or the original's concatenated-frames
`.png`: the frames side by side in one image), optionally split into `train/` and `test/`. Every frame is
resized to the config's `frame_shape` (H x W). With `id_sampling` the part of a name before `#` is the
identity (the original's VoxCeleb naming); each epoch draws one video per identity.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageSequence

from .errors import DeepstoryError

VIDEO_EXTS = (".mp4", ".mov", ".gif", ".png", ".avi", ".mkv", ".webm")
FRAME_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


class DatasetError(DeepstoryError):
    """The training data cannot be used (no videos, unreadable or too short videos)."""


@dataclass(frozen=True)
class AugmentParams:
    """The original's `dataset_params.augmentation_params` (vox-256.yaml values by default)."""
    horizontal_flip: bool = True     # mirror both frames with probability 0.5
    time_flip: bool = True           # swap source and driving with probability 0.5
    brightness: float = 0.1          # colour jitter strengths (torchvision ColorJitter semantics)
    contrast: float = 0.1
    saturation: float = 0.1
    hue: float = 0.1

    @classmethod
    def from_config(cls, dataset_params: dict | None) -> "AugmentParams | None":
        """None (no augmentation) when the config has no augmentation_params."""
        aug = (dataset_params or {}).get("augmentation_params")
        if aug is None:
            return None
        flip, jitter = aug.get("flip_param") or {}, aug.get("jitter_param") or {}
        return cls(horizontal_flip=bool(flip.get("horizontal_flip", False)), time_flip=bool(flip.get("time_flip", False)),
                   brightness=float(jitter.get("brightness", 0)), contrast=float(jitter.get("contrast", 0)),
                   saturation=float(jitter.get("saturation", 0)), hue=float(jitter.get("hue", 0)))


def list_videos(folder: Path) -> list[Path]:
    """Videos directly inside `folder` (files with a video extension and frame folders), sorted."""
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_file() and p.suffix.lower() in VIDEO_EXTS:
            out.append(p)
        elif p.is_dir() and p.name not in ("train", "test") and any(
                f.suffix.lower() in FRAME_EXTS for f in p.iterdir()):
            out.append(p)
    return out


def split_folders(root: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """(train videos, test videos): `root/train` + `root/test` when present, else every video for both."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"training data folder not found: {root}")
    try:
        if (root / "train").is_dir():
            train = list_videos(root / "train")
            test = list_videos(root / "test") if (root / "test").is_dir() else train
        else:
            train = test = list_videos(root)
    except PermissionError as exc:
        raise DatasetError(f"cannot read the training data folder {root}: {exc.strerror}") from None
    if not train:
        raise DatasetError(f"no videos in {root} (expected {', '.join(VIDEO_EXTS)} files or folders of frames, "
                           "optionally inside train/ and test/)")
    return train, test


def _resize(frame: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    if frame.ndim == 2:
        frame = np.stack([frame] * 3, axis=-1)
    frame = frame[..., :3]
    if frame.shape[:2] != hw:
        frame = np.asarray(Image.fromarray(frame).resize((hw[1], hw[0]), Image.BICUBIC))
    return np.ascontiguousarray(frame, dtype=np.uint8)


def _decode(path: Path) -> list[np.ndarray]:
    """Every frame of a video as RGB uint8 at its own size."""
    suffix = path.suffix.lower()
    if path.is_dir():
        files = sorted(f for f in path.iterdir() if f.suffix.lower() in FRAME_EXTS)
        return [np.asarray(Image.open(f).convert("RGB")) for f in files]
    if suffix == ".gif":
        with Image.open(path) as im:
            return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]
    if suffix == ".png":
        return [np.asarray(Image.open(path).convert("RGB"))]     # split by read_video
    import av
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def read_video(path: str | os.PathLike, frame_hw: tuple[int, int]) -> np.ndarray:
    """(T, H, W, 3) uint8 frames resized to `frame_hw`; a clear error for unreadable videos."""
    path = Path(path)
    try:
        frames = _decode(path)
    except DeepstoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure means this file is not a usable video
        raise DatasetError(f"cannot read video {path}: {type(exc).__name__}: {str(exc)[:160]}") from None
    if path.is_file() and path.suffix.lower() == ".png":
        # The original's layout: frames side by side; each frame has the config's aspect ratio.
        image = frames[0]
        width = max(1, round(image.shape[0] * frame_hw[1] / frame_hw[0]))
        if image.shape[1] % width:
            raise DatasetError(f"{path}: a concatenated-frames PNG must be N frames of {width} px side by side "
                               f"(height {image.shape[0]}), but it is {image.shape[1]} px wide")
        frames = [image[:, i:i + width] for i in range(0, image.shape[1], width)]
    if len(frames) < 2:
        raise DatasetError(f"{path} has {len(frames)} frame(s); training needs videos of at least 2 frames")
    return np.stack([_resize(f, frame_hw) for f in frames])


def _identity(path: Path) -> str:
    return path.name.split("#")[0]


class PairDataset:
    """Frame pairs for training: `sample(i, rng)` -> {"source", "driving"} float32 (3, H, W) in [0, 1].

    Videos are decoded once (resized, uint8) and kept in memory: fine-tuning data is a few clips.
    """

    def __init__(self, videos: list[Path], frame_hw: tuple[int, int], *, id_sampling: bool = False,
                 augment: AugmentParams | None = None, progress: bool = False):
        from tqdm import tqdm
        self.videos = list(videos)
        self.frame_hw = frame_hw
        self.augment = augment
        self.frames = [read_video(v, frame_hw) for v in tqdm(self.videos, desc="reading videos", unit="video",
                                                                 disable=not progress)]
        ids = sorted({_identity(v) for v in self.videos}) if id_sampling else [str(v) for v in self.videos]
        key = _identity if id_sampling else str
        self.groups = [[i for i, v in enumerate(self.videos) if key(v) == name] for name in ids]

    def __len__(self) -> int:
        return len(self.groups)

    def sample(self, index: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        video = self.frames[rng.choice(self.groups[index])]
        # Two frames drawn with replacement, in time order (the original's `np.sort(np.random.choice(...))`).
        i, j = np.sort(rng.choice(len(video), size=2, replace=True))
        pair = [video[i], video[j]]
        if self.augment is not None:
            pair = augment_pair(pair, self.augment, rng)
        source, driving = (np.transpose(f.astype(np.float32) / 255, (2, 0, 1)) for f in pair)
        return {"source": source, "driving": driving}

    def batches(self, batch_size: int, num_repeats: int, rng: np.random.Generator) -> Iterator[dict[str, np.ndarray]]:
        """One epoch: the dataset repeated `num_repeats` times, shuffled, full batches only (drop_last)."""
        order = rng.permutation(np.tile(np.arange(len(self)), num_repeats))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            items = [self.sample(int(k), rng) for k in order[start:start + batch_size]]
            yield {name: np.stack([it[name] for it in items]) for name in ("source", "driving")}

    def batches_per_epoch(self, batch_size: int, num_repeats: int) -> int:
        return len(self) * num_repeats // batch_size


def augment_pair(frames: list[np.ndarray], p: AugmentParams, rng: np.random.Generator) -> list[np.ndarray]:
    """The original's augmentation of a clip: time flip, horizontal flip, one colour jitter for all frames."""
    if p.time_flip and rng.random() < 0.5:
        frames = frames[::-1]
    if p.horizontal_flip and rng.random() < 0.5:
        frames = [f[:, ::-1] for f in frames]
    if p.brightness or p.contrast or p.saturation or p.hue:
        ops = []
        if p.brightness:
            ops.append(("brightness", rng.uniform(max(0, 1 - p.brightness), 1 + p.brightness)))
        if p.contrast:
            ops.append(("contrast", rng.uniform(max(0, 1 - p.contrast), 1 + p.contrast)))
        if p.saturation:
            ops.append(("saturation", rng.uniform(max(0, 1 - p.saturation), 1 + p.saturation)))
        if p.hue:
            ops.append(("hue", rng.uniform(-p.hue, p.hue)))
        order = rng.permutation(len(ops))           # random order, as torchvision's ColorJitter
        frames = [_jitter(f, [ops[k] for k in order]) for f in frames]
    return [np.ascontiguousarray(f) for f in frames]


def _jitter(frame: np.ndarray, ops: list[tuple[str, float]]) -> np.ndarray:
    from skimage.color import hsv2rgb, rgb2hsv
    x = frame.astype(np.float32) / 255
    for name, value in ops:
        gray = (0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2])[..., None]
        if name == "brightness":
            x = x * value
        elif name == "contrast":
            x = gray.mean() + value * (x - gray.mean())
        elif name == "saturation":
            x = gray + value * (x - gray)
        else:
            hsv = rgb2hsv(np.clip(x, 0, 1))
            hsv[..., 0] = (hsv[..., 0] + value) % 1.0
            x = hsv2rgb(hsv).astype(np.float32)
        x = np.clip(x, 0, 1)
    return (x * 255 + 0.5).astype(np.uint8)
