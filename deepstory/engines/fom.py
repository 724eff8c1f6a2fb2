"""`animator: fom` — First Order Motion Model driven by SDA face videos, pasted into the portrait.

Per portrait: find the face, cut a square around it, resize to the model's 256, and do FOM's source-side
work once. Per clip: the driving frames (SDA's 128x96, or any (n, h, w, 3) uint8 video) are scaled and
padded on the device, animated with relative motion + adapt_movement_scale (kp_driving_initial from the
clip's first frame), and each 256 frame is pasted back into the full-resolution portrait with a feathered
mask.
"""
from __future__ import annotations

import os
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from modules import landmarks
from modules.errors import CheckpointError, NoFaceError
from modules.facecrop import Crop, feather_mask, paste, square_around
from modules.fom import FomAnimator, fit_geometry
from modules.fom.onnx_animator import OnnxFomAnimator

from ..cache import file_identity
from ..native_stderr import quiet_native_stderr
from ..errors import EngineError
from ..settings import PATHS
from .base import Animator, ClipSpeech, SpeakerSession, even_size_within
from .resize import resize_rgb

DEFAULT_CONFIG = PATHS.data / "fom" / "vox-256.yaml"
DEFAULT_CHECKPOINT = PATHS.checkpoints / "vox-cpk.pth.tar"
CHECKPOINT_HELP = ("Download vox-cpk.pth.tar (or vox-adv-cpk.pth.tar with data/fom/vox-adv-256.yaml) from the "
                   "links in the first-order-model README "
                   "(https://github.com/AliaksandrSiarohin/first-order-model#pre-trained-checkpoint) and put it "
                   f"at {DEFAULT_CHECKPOINT.relative_to(PATHS.repo)}, or point the story's front matter at it: `fom: {{checkpoint: PATH}}`.")


class FomSession(SpeakerSession):
    """One portrait prepared for FOM: the scaled portrait, the face crop and the 256 source."""

    def __init__(self, animator: FomAnimator, portrait: np.ndarray, crop: Crop, source: np.ndarray,
                 batch_size: int, inner: tuple[slice, slice] | None = None):
        self._animator = animator
        self.portrait = portrait
        self.crop = crop
        self.source = source
        self._mask = feather_mask(crop.side)
        self._batch_size = batch_size
        self._inner = inner or (slice(None), slice(None))     # the crop's place in a non-square model frame
        self._prepared = animator.prepare(source)

    @property
    def output_size(self) -> tuple[int, int]:
        return self.portrait.shape[1], self.portrait.shape[0]

    def render(self, motion: np.ndarray, speech: ClipSpeech) -> Iterator[np.ndarray]:
        n = speech.n_frames
        motion = np.asarray(motion)
        if motion.ndim != 4 or motion.shape[-1] != 3 or motion.dtype != np.uint8:
            raise ValueError(f"fom animator needs driving frames (n, h, w, 3) uint8, got {motion.shape} {motion.dtype}")
        if n <= 0:
            return
        if len(motion) == 0:            # nothing to drive with: the portrait holds still
            yield from repeat(self.portrait, n)
            return
        # Exactly n frames: cut a longer clip, hold the last frame of a shorter one.
        frames = islice(chain(iter(motion), repeat(motion[-1])), n)
        yield from self.animate(frames, relative=True, adapt_movement_scale=True)

    def animate(self, frames: Iterable[np.ndarray], *, relative: bool, adapt_movement_scale: bool,
                driving_initial: np.ndarray | None = None) -> Iterator[np.ndarray]:
        """Full portraits with the face animated by each driving frame (any size, fitted to the model)."""
        side = self.crop.side
        for patch in self._animator.animate(self._prepared, frames, relative=relative,
                                            adapt_movement_scale=adapt_movement_scale,
                                            batch_size=self._batch_size, driving_initial=driving_initial):
            patch = np.ascontiguousarray(patch[self._inner])
            yield paste(self.portrait, resize_rgb(patch, (side, side)), self.crop, self._mask)


class FomEngine(Animator):
    name = "fom"
    version = "1"
    accepts = ("sda",)
    default_driver = "sda"

    def __init__(self, config_path: str | os.PathLike = DEFAULT_CONFIG,
                 checkpoint_path: str | os.PathLike = DEFAULT_CHECKPOINT, device: Any = None,
                 batch_size: int | None = None, max_side: int = 1024, crop_scale: float = 1.8,
                 onnx_dir: str | os.PathLike | None = None):
        self.config_path = Path(config_path)
        self.checkpoint_path = Path(checkpoint_path)
        # With an ONNX export (`fom export`) onnxruntime runs the model and the config/checkpoint are not read.
        self.onnx_dir = Path(onnx_dir) if onnx_dir is not None else None
        if self.onnx_dir is not None:
            from modules.fom.onnx_animator import read_description
            try:
                read_description(self.onnx_dir)
            except CheckpointError as exc:
                raise EngineError(str(exc)) from None
        elif not self.config_path.is_file():
            raise EngineError(f"FOM config not found: {self.config_path} (the project ships data/fom/vox-256.yaml "
                              "and data/fom/vox-adv-256.yaml)")
        elif not self.checkpoint_path.is_file():
            raise EngineError(f"FOM checkpoint not found: {self.checkpoint_path}. {CHECKPOINT_HELP}")
        self.device = device
        self.batch_size = batch_size
        self.max_side = max_side
        self.crop_scale = crop_scale
        self._animator: FomAnimator | None = None

    def cache_key(self) -> dict[str, Any]:
        if self.onnx_dir is not None:
            from modules.fom.onnx_animator import DESCRIPTION
            files = sorted(p for p in self.onnx_dir.iterdir() if p.suffix == ".onnx" or p.name == DESCRIPTION)
            return {"onnx": {p.name: file_identity(p) for p in files}, "max_side": self.max_side,
                    "crop_scale": self.crop_scale}
        return {"config": file_identity(self.config_path), "checkpoint": file_identity(self.checkpoint_path),
                "max_side": self.max_side, "crop_scale": self.crop_scale}

    def __enter__(self) -> "FomEngine":
        self._loaded()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._animator is not None:
            self._animator.__exit__(*exc)
            self._animator = None

    def animator(self) -> "FomAnimator | OnnxFomAnimator":
        """The loaded model (loaded on first use)."""
        return self._loaded()

    def _loaded(self) -> "FomAnimator | OnnxFomAnimator":
        if self._animator is None:
            if self.onnx_dir is not None:
                from modules.fom.onnx_animator import OnnxFomAnimator
                self._animator = OnnxFomAnimator(self.onnx_dir, self.device).__enter__()
            else:
                self._animator = FomAnimator(self.config_path, self.checkpoint_path, self.device).__enter__()
        return self._animator

    def speaker(self, portrait: np.ndarray, *, label: str = "portrait") -> FomSession:
        animator = self._loaded()
        h, w = portrait.shape[:2]
        scaled = resize_rgb(np.ascontiguousarray(portrait[..., :3]), even_size_within(w, h, self.max_side))
        with quiet_native_stderr():
            mesh = landmarks.detect(scaled)
        if mesh is None:
            raise NoFaceError(f"no face found in {label}: the fom animator needs a clearly visible, roughly "
                              "frontal face (or use the builtin animator)")
        crop = square_around(landmarks.face_box(mesh), (scaled.shape[1], scaled.shape[0]), self.crop_scale)
        source, inner = fit_into(crop.cut(scaled), animator.frame_hw)
        # On CPU, batches beyond 2 frames overflow the caches and get slower per frame (measured with
        # benchmarks/fom_animate.py); GPUs want larger batches.
        batch = self.batch_size or (8 if animator.device.type == "cuda" else 2)
        return FomSession(animator, scaled, crop, source, batch, inner)


def fit_into(square: np.ndarray, frame_hw: tuple[int, int]) -> tuple[np.ndarray, tuple[slice, slice]]:
    """The square face crop scaled into the model's H x W frame and zero-padded like the driving frames
    (modules.fom.driving), and where it sits there (to cut the animated face back out)."""
    th, tw = frame_hw
    nh, nw, top, left = fit_geometry(square.shape[0], square.shape[1], (th, tw))
    out = np.zeros((th, tw, 3), np.uint8)
    out[top:top + nh, left:left + nw] = resize_rgb(square, (nw, nh))
    return out, (slice(top, top + nh), slice(left, left + nw))
