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
    def frame_size(self) -> int:
        """Side of the square frames the model animates at (256 for vox); training may use any H x W."""
        if self.frame_shape[0] != self.frame_shape[1]:
            raise ModelInputError(f"animating needs a square frame_shape [S, S, C], the config has "
                                  f"{list(self.frame_shape)}")
        return int(self.frame_shape[0])


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
    if len(shape) != 3 or not all(isinstance(v, int) and v > 0 for v in shape):
        raise ModelInputError(f"{source}: frame_shape must be [H, W, C], got {list(shape)}")
    extra = data.get("deepstory_params") or {}
    return FomConfig(common_params=common, kp_detector_params=kp, generator_params=gen,
                     frame_shape=(int(shape[0]), int(shape[1]), int(shape[2])),
                     align_corners=bool(extra.get("grid_sample_align_corners", False)), raw=data)


def load_config(path: str | os.PathLike) -> FomConfig:
    """Read a first-order-model YAML config (vox-256.yaml format)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelInputError(f"FOM config not found: {path}")
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return parse_config(data, source=path)
