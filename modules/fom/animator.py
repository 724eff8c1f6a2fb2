"""`FomAnimator`: load FOM once, animate many clips of one portrait, fast.

Per portrait the source-side work runs once (`kp_source`, the generator's encoding of the source, the
dense-motion network's downscaled source and its Gaussians). Per clip, frames stream through in
batches: iterator in, iterator out, so memory stays flat however long the clip is. Driving-dependent
work runs on fused copies of the models (modules.fom.fused: BatchNorm folded into convolutions,
nearest-upsample + conv computed at low resolution), equal to the original up to float rounding.
"""
from __future__ import annotations

import gc
import hashlib
import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import numpy as np
import torch

from ..checkpoint import pick_device
from .config import FomConfig, load_config
from .dense_motion import MotionSource
from .driving import prepare_driving
from .fused import fast_copy
from .generator import OcclusionAwareGenerator
from .keypoint_detector import KPDetector
from .loading import load_checkpoint
from .normalize import _relative, movement_scale


@dataclass
class PreparedSource:
    """Everything about one source image that does not depend on the driving frames."""
    key: str
    image: torch.Tensor                  # (1, 3, H, W) in [0, 1]
    kp: dict[str, torch.Tensor]
    encoded: torch.Tensor                # generator features before warping
    motion: MotionSource


class FomAnimator:
    """Context manager around a loaded FOM model; see the module docstring.

        with FomAnimator("data/fom/vox-256.yaml", "vox-cpk.pth.tar") as animator:
            for frame in animator.animate(source, driving): ...
    """

    def __init__(self, config_path: str | os.PathLike | FomConfig | None = None,
                 checkpoint_path: str | os.PathLike | None = None, device: Any = None, *,
                 align_corners: bool | None = None, fused: bool = True):
        self.fused = fused
        self.config_path = config_path
        self.checkpoint_path = checkpoint_path
        self.device = pick_device(device)
        self.align_corners = align_corners
        self.kp_detector: KPDetector | None = None
        self.generator: OcclusionAwareGenerator | None = None
        self.frame_hw = (0, 0)               # (H, W) of the model's frames, from the config
        self._source: PreparedSource | None = None
        self._fast: tuple[KPDetector, OcclusionAwareGenerator] | None = None
        self._tf32: tuple[bool, bool] | None = None

    @classmethod
    def from_models(cls, kp_detector: KPDetector, generator: OcclusionAwareGenerator,
                    frame_size: int | tuple[int, int], device: Any = None, *, fused: bool = True) -> "FomAnimator":
        """An animator around already-built models (tests, benchmarks); the models are not modified.
        `frame_size` is S (square) or (H, W)."""
        self = cls(device=device if device is not None else next(generator.parameters()).device, fused=fused)
        self.kp_detector, self.generator = kp_detector.to(self.device).eval(), generator.to(self.device).eval()
        self.frame_hw = (frame_size, frame_size) if isinstance(frame_size, int) else tuple(frame_size)
        return self

    # -- lifetime ---------------------------------------------------------------------------------------
    def load(self) -> "FomAnimator":
        if self.generator is None:
            config = (self.config_path if isinstance(self.config_path, FomConfig)
                      else load_config(self.config_path))
            self.kp_detector, self.generator = load_checkpoint(config, self.checkpoint_path, self.device,
                                                               align_corners=self.align_corners)
            self.frame_hw = config.frame_hw
        return self

    def __enter__(self) -> "FomAnimator":
        if self.device.type == "cuda":
            # TF32 would change results by ~1e-3; keep what the original computes.
            self._tf32 = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        return self.load()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the models and cached source and give memory back."""
        self.kp_detector = self.generator = None
        self._source = self._fast = None
        if self._tf32 is not None:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = self._tf32
            self._tf32 = None
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    @property
    def frame_size(self) -> int:
        """Longer side of the model's frames."""
        return max(self.frame_hw)

    # -- source side ------------------------------------------------------------------------------------
    def _models(self) -> tuple[KPDetector, OcclusionAwareGenerator]:
        if self.generator is None or self.kp_detector is None:
            raise RuntimeError("FomAnimator is not loaded: use it as a context manager (with ... as animator)")
        return self.kp_detector, self.generator

    def prepare(self, source: np.ndarray) -> PreparedSource:
        """Source-side work for an H x W RGB uint8 image (the model's frame shape); the last one is cached
        by content."""
        self._models()
        source = np.ascontiguousarray(source)
        s = self.frame_hw
        if source.shape != (*s, 3) or source.dtype != np.uint8:
            raise ValueError(f"source must be a {s[0]}x{s[1]}x3 uint8 RGB image, got {source.shape} {source.dtype}")
        key = hashlib.blake2b(source.tobytes(), digest_size=16).hexdigest()
        if self._source is not None and self._source.key == key:
            return self._source
        with torch.inference_mode():
            self._source = self._prepare_image(prepare_driving(source[None], s, self.device), key)
        return self._source

    def _prepare_image(self, image: torch.Tensor, key: str = "") -> PreparedSource:
        kp_detector, generator = self._models()
        kp = kp_detector(image)
        return PreparedSource(key=key, image=image, kp=kp, encoded=generator.encode(image),
                              motion=generator.dense_motion_network.prepare_source(image, kp))

    def predict_tensors(self, source: torch.Tensor, driving: torch.Tensor, relative: bool = True,
                        adapt_movement_scale: bool = True) -> torch.Tensor:
        """The animation of float images, without the uint8 steps: source (1, 3, S, S) and driving
        (T, 3, S, S) in [0, 1] -> predictions (T, 3, S, S); the same work `animate` does per batch (what
        the golden `make_animation` outputs are compared with)."""
        with torch.inference_mode():
            src = self._prepare_image(source.to(self.device, torch.float32))
            state: dict[str, Any] = {"initial": None}
            return self._step_images(src, driving.to(self.device, torch.float32), state, relative,
                                     adapt_movement_scale)

    # -- driving side -----------------------------------------------------------------------------------
    def predictions(self, source: np.ndarray | PreparedSource, driving: Iterable[np.ndarray],
                    relative: bool = True, adapt_movement_scale: bool = True, batch_size: int = 8,
                    driving_initial: np.ndarray | None = None) -> Iterator[torch.Tensor]:
        """Float predictions (B, 3, H, W) in [0, 1], one tensor per batch of driving frames.

        Driving frames are (h, w, 3) uint8; frames that are not H x W are scaled and padded on the device
        (`prepare_driving`). `kp_driving_initial` comes from `driving_initial` if given, else the first frame.
        """
        kp_detector, _ = self._per_frame_models()
        src = source if isinstance(source, PreparedSource) else self.prepare(source)
        batch_size = max(1, int(batch_size))
        state: dict[str, Any] = {"initial": None}
        if driving_initial is not None:
            with torch.inference_mode():
                x = prepare_driving(np.asarray(driving_initial)[None], self.frame_hw, self.device)
                state["initial"] = kp_detector(x)
        for frames in _batches(driving, batch_size):
            # Inference mode per batch, not across `yield`, so it never leaks into the caller's code.
            with torch.inference_mode():
                pred = self._step(src, frames, state, relative, adapt_movement_scale)
            yield pred

    def _per_frame_models(self) -> tuple[KPDetector, OcclusionAwareGenerator]:
        """The models for driving-dependent work: fused copies (BN folded, phase-split upsampling)."""
        models = self._models()
        if not self.fused:
            return models
        if self._fast is None:
            self._fast = (fast_copy(models[0]), fast_copy(models[1]))
        return self._fast

    def _step(self, src: PreparedSource, frames: np.ndarray, state: dict[str, Any], relative: bool,
              adapt_movement_scale: bool) -> torch.Tensor:
        return self._step_images(src, prepare_driving(frames, self.frame_hw, self.device), state, relative,
                                 adapt_movement_scale)

    def _step_images(self, src: PreparedSource, x: torch.Tensor, state: dict[str, Any], relative: bool,
                     adapt_movement_scale: bool) -> torch.Tensor:
        kp_detector, generator = self._per_frame_models()
        kp_driving = kp_detector(x)
        if state["initial"] is None:
            state["initial"] = {k: v[:1] for k, v in kp_driving.items()}
        if relative and "scale" not in state:
            initial = state["initial"]
            state["scale"] = movement_scale(src.kp, initial) if adapt_movement_scale else 1.0
            state["inv"] = torch.inverse(initial["jacobian"]) if "jacobian" in initial else None
        if relative:
            kp_norm = _relative(src.kp, kp_driving, state["initial"], state["scale"], True,
                                state["inv"] is not None, state["inv"])
        else:
            kp_norm = kp_driving
        motion = generator.dense_motion_network.motion(src.motion, kp_norm)
        return generator.decode(generator.apply_motion(src.encoded, motion))

    def animate(self, source: np.ndarray | PreparedSource, driving: Iterable[np.ndarray], relative: bool = True,
                adapt_movement_scale: bool = True, batch_size: int = 8,
                driving_initial: np.ndarray | None = None) -> Iterator[np.ndarray]:
        """Yield one H x W x 3 uint8 frame per driving frame (prediction x 255, rounded)."""
        for pred in self.predictions(source, driving, relative, adapt_movement_scale, batch_size, driving_initial):
            frames = (pred * 255).round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
            yield from frames


def _batches(frames: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Group an iterable of (h, w, 3) uint8 frames into stacked (n, h, w, 3) batches of at most `size`."""
    batch: list[np.ndarray] = []
    for frame in frames:
        batch.append(np.asarray(frame))
        if len(batch) == size:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch)
