"""The FOM animator split into three graphs with plain tensor inputs and outputs, for ONNX export.

- `SourceGraph` (once per portrait): image -> source keypoints, the generator's encoding and the dense
  motion network's source-side inputs (downscaled image, Gaussians at the keypoints).
- `KeypointGraph` (per driving frame): image -> keypoints (and jacobians).
- `FrameGraph` (per driving frame): the normalised driving keypoints + the source-side tensors -> the
  predicted frame in [0, 1].

Keypoint normalisation (relative motion, adapt scale) stays outside the graphs: the movement scale is a
convex-hull area (scipy), computed once per clip, and the rest is a few 2x2 products per keypoint.
The graphs run the original (unfused) blocks: onnxruntime folds BatchNorm into the convolutions itself.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from .dense_motion import MotionSource
from .generator import OcclusionAwareGenerator
from .keypoint_detector import KPDetector
from .blocks import make_coordinate_grid


def has_jacobian(kp_detector: KPDetector) -> bool:
    return kp_detector.jacobian is not None


class KeypointGraph(nn.Module):
    """(B, 3, H, W) -> value (B, K, 2)[, jacobian (B, K, 2, 2)]."""

    def __init__(self, kp_detector: KPDetector):
        super().__init__()
        self.kp_detector = kp_detector

    def forward(self, image: torch.Tensor):
        kp = self.kp_detector(image)
        return (kp["value"], kp["jacobian"]) if "jacobian" in kp else kp["value"]


class SourceGraph(nn.Module):
    """(1, 3, H, W) -> kp_value, [kp_jacobian], encoded, motion_image, gaussians."""

    def __init__(self, kp_detector: KPDetector, generator: OcclusionAwareGenerator):
        super().__init__()
        self.kp_detector, self.generator = kp_detector, generator

    def forward(self, image: torch.Tensor):
        kp = self.kp_detector(image)
        src = self.generator.dense_motion_network.prepare_source(image, kp)
        out = [kp["value"]] + ([kp["jacobian"]] if "jacobian" in kp else [])
        return tuple(out + [self.generator.encode(image), src.image, src.gaussians])


class FrameGraph(nn.Module):
    """Normalised driving keypoints + source-side tensors -> prediction (B, 3, H, W) in [0, 1].

    Inputs in order: kp_value (B, K, 2), [kp_jacobian (B, K, 2, 2)], source_kp_value (1, K, 2),
    [source_kp_jacobian (1, K, 2, 2)], encoded, motion_image, gaussians (from `SourceGraph`)."""

    def __init__(self, generator: OcclusionAwareGenerator, jacobian: bool):
        super().__init__()
        self.generator = copy.deepcopy(generator).eval()
        self.generator.dense_motion_network.closed_form_inverse = True
        self.jacobian = jacobian

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        if self.jacobian:
            kp_value, kp_jacobian, src_value, src_jacobian, encoded, motion_image, gaussians = inputs
            kp_driving = {"value": kp_value, "jacobian": kp_jacobian}
        else:
            kp_value, src_value, encoded, motion_image, gaussians = inputs
            kp_driving, src_jacobian = {"value": kp_value}, None
        h, w = motion_image.shape[2:]
        src = MotionSource(image=motion_image, gaussians=gaussians, kp_value=src_value, kp_jacobian=src_jacobian,
                           identity=make_coordinate_grid(int(h), int(w), dtype=motion_image.dtype,
                                                         device=motion_image.device))
        network = self.generator.dense_motion_network
        motion = network.motion(src, kp_driving)
        return self.generator.decode(self.generator.apply_motion(encoded, motion))


def io_names(jacobian: bool) -> dict[str, tuple[list[str], list[str]]]:
    """Input and output names of each graph (the JSON description repeats them)."""
    j = ["kp_jacobian"] if jacobian else []
    sj = ["source_kp_jacobian"] if jacobian else []
    return {
        "source": (["image"], ["kp_value"] + j + ["encoded", "motion_image", "gaussians"]),
        "keypoints": (["image"], ["kp_value"] + j),
        "frame": (["kp_value"] + j + ["source_kp_value"] + sj + ["encoded", "motion_image", "gaussians"],
                  ["prediction"]),
    }
