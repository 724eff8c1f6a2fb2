"""Model configs in the original first-order-model YAML format (`model_params` section).

One extra, optional top-level section is ours and is ignored by the original code:

    deepstory_params:
      grid_sample_align_corners: false

`false` (default) reproduces what the original code computes on any torch >= 1.3, which is what the
golden fixtures were made with. `true` reproduces torch 1.0's grid_sample, the version the published
vox checkpoints were trained under; it changes outputs by up to ~0.2 on a 0..1 scale.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import ModelInputError


@dataclass(frozen=True)
class FomConfig:
    common_params: dict[str, Any]
    kp_detector_params: dict[str, Any]
    generator_params: dict[str, Any]
    frame_shape: tuple[int, int, int] = (256, 256, 3)
    align_corners: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def frame_hw(self) -> tuple[int, int]:
        """(height, width) of the frames the model works at ((256, 256) for vox)."""
        return int(self.frame_shape[0]), int(self.frame_shape[1])

    @property
    def frame_size(self) -> int:
        """Longer side of the model's frames (256 for vox)."""
        return max(self.frame_hw)


def _scaled(n: int, scale: float) -> int:
    """Size after the original's AntiAliasInterpolation2d: same-size blur, then every 1/scale-th pixel."""
    return n if scale == 1 else -(-n // int(1 / scale))


def check_frame_shape(shape: tuple[int, ...], kp: dict[str, Any], gen: dict[str, Any], channels: int,
                      source: str) -> tuple[int, int, int]:
    """The frame shape if the networks can run on it, else one clear error.

    Both hourglasses (keypoint detector, dense motion) concatenate skip connections, so their input
    (the frame scaled by their scale_factor) must halve evenly `num_blocks` times; the keypoint heads
    are 7x7 convolutions without padding, so that input must be at least 7 pixels.
    """
    if len(shape) != 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in shape):
        raise ModelInputError(f"{source}: frame_shape must be [H, W, C] integers, got {list(shape)}")
    h, w, c = shape
    if c != channels:
        raise ModelInputError(f"{source}: frame_shape has {c} channels but num_channels is {channels}")
    parts = [("kp_detector_params", kp)]
    if gen.get("dense_motion_params"):
        parts.append(("dense_motion_params", gen["dense_motion_params"]))
    for name, params in parts:
        scale = float(params.get("scale_factor", 1))
        step = 2 ** int(params.get("num_blocks", 3))
        sh, sw = _scaled(h, scale), _scaled(w, scale)
        if sh % step or sw % step or min(sh, sw) < 7:
            raise ModelInputError(
                f"{source}: frame_shape {h}x{w} does not fit the model: {name} works at {sh}x{sw} "
                f"(scale_factor {scale}), which must be a multiple of {step} (2^num_blocks) and at least 7; "
                f"choose H and W that are multiples of {int(step / scale) if scale < 1 else step}")
    step = 2 ** int(gen.get("num_down_blocks", 2))
    if h % step or w % step:
        raise ModelInputError(f"{source}: frame_shape {h}x{w} must be a multiple of {step} (2^num_down_blocks)")
    return h, w, c


def parse_config(data: dict[str, Any], *, source: str = "config") -> FomConfig:
    """Validate a loaded YAML mapping and pull out what the models need."""
    try:
        params = data["model_params"]
        common = dict(params["common_params"])
        kp = dict(params["kp_detector_params"])
        gen = dict(params["generator_params"])
    except (KeyError, TypeError) as exc:
        raise ModelInputError(f"{source}: not a first-order-model config (missing {exc}); expected "
                              "model_params.common_params / kp_detector_params / generator_params") from None
    shape = tuple((data.get("dataset_params") or {}).get("frame_shape", (256, 256, 3)))
    shape = check_frame_shape(shape, kp, gen, int(common.get("num_channels", 3)), source)
    extra = data.get("deepstory_params") or {}
    return FomConfig(common_params=common, kp_detector_params=kp, generator_params=gen,
                     frame_shape=shape,
                     align_corners=bool(extra.get("grid_sample_align_corners", False)), raw=data)


def load_config(path: str | os.PathLike) -> FomConfig:
    """Read a first-order-model YAML config (vox-256.yaml format)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelInputError(f"FOM config not found: {path}")
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return parse_config(data, source=path)
