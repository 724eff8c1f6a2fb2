"""Occlusion-aware generator: encode the source, warp its features by the dense motion, decode.

`encode` (source only) and `decode` (per driving frame) are split so an animator can encode a portrait
once; `forward` chains them exactly as the original's single forward does.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import DownBlock2d, ResBlock2d, SameBlock2d, UpBlock2d, warp
from .dense_motion import DenseMotionNetwork


class OcclusionAwareGenerator(nn.Module):
    """State-dict names as the original: `first.*`, `down_blocks.*`, `bottleneck.r<i>.*`, `up_blocks.*`,
    `final.*`, `dense_motion_network.*`."""

    def __init__(self, num_channels: int, num_kp: int, block_expansion: int, max_features: int,
                 num_down_blocks: int, num_bottleneck_blocks: int, estimate_occlusion_map: bool = False,
                 dense_motion_params: dict | None = None, estimate_jacobian: bool = False,
                 align_corners: bool = False):
        super().__init__()
        if dense_motion_params is not None:
            self.dense_motion_network = DenseMotionNetwork(num_kp=num_kp, num_channels=num_channels,
                                                           estimate_occlusion_map=estimate_occlusion_map,
                                                           align_corners=align_corners, **dense_motion_params)
        else:
            self.dense_motion_network = None
        self.first = SameBlock2d(num_channels, block_expansion, kernel_size=(7, 7), padding=(3, 3))

        def width(level: int) -> int:
            return min(max_features, block_expansion * (2 ** level))

        self.down_blocks = nn.ModuleList(DownBlock2d(width(i), width(i + 1)) for i in range(num_down_blocks))
        self.up_blocks = nn.ModuleList(UpBlock2d(width(num_down_blocks - i), width(num_down_blocks - i - 1))
                                       for i in range(num_down_blocks))
        self.bottleneck = nn.Sequential()
        for i in range(num_bottleneck_blocks):
            self.bottleneck.add_module(f"r{i}", ResBlock2d(width(num_down_blocks)))
        self.final = nn.Conv2d(block_expansion, num_channels, kernel_size=(7, 7), padding=(3, 3))
        self.estimate_occlusion_map = estimate_occlusion_map
        self.num_channels = num_channels
        self.align_corners = align_corners

    def deform_input(self, inp: torch.Tensor, deformation: torch.Tensor) -> torch.Tensor:
        """Warp `inp` by `deformation`, bilinearly resizing the flow first if sizes differ."""
        _, h_old, w_old, _ = deformation.shape
        _, _, h, w = inp.shape
        if h_old != h or w_old != w:
            deformation = F.interpolate(deformation.permute(0, 3, 1, 2), size=(h, w), mode="bilinear",
                                        align_corners=False).permute(0, 2, 3, 1)
        if deformation.shape[0] != inp.shape[0]:
            inp = inp.expand(deformation.shape[0], *inp.shape[1:])
        return warp(inp, deformation, self.align_corners)

    def encode(self, source_image: torch.Tensor) -> torch.Tensor:
        """Source features at the bottleneck resolution (depends on the source only)."""
        out = self.first(source_image)
        for block in self.down_blocks:
            out = block(out)
        return out

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """Bottleneck, upsampling and the final sigmoid: warped features -> image in [0, 1]."""
        out = self.bottleneck(features)
        for block in self.up_blocks:
            out = block(out)
        return torch.sigmoid(self.final(out))

    def apply_motion(self, encoded: torch.Tensor, motion: dict[str, torch.Tensor]) -> torch.Tensor:
        """Warp the encoded source by the dense motion and mask it with the occlusion map."""
        out = self.deform_input(encoded, motion["deformation"])
        occlusion = motion.get("occlusion_map")
        if occlusion is not None:
            if out.shape[2:] != occlusion.shape[2:]:
                occlusion = F.interpolate(occlusion, size=out.shape[2:], mode="bilinear", align_corners=False)
            out = out * occlusion
        return out

    def forward(self, source_image: torch.Tensor, kp_driving: dict[str, torch.Tensor],
                kp_source: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out = self.encode(source_image)
        result: dict[str, torch.Tensor] = {}
        if self.dense_motion_network is not None:
            motion = self.dense_motion_network(source_image=source_image, kp_driving=kp_driving,
                                               kp_source=kp_source)
            result.update({k: motion[k] for k in ("mask", "sparse_deformed", "occlusion_map") if k in motion})
            result["deformation"] = motion["deformation"]
            out = self.apply_motion(out, motion)
            result["deformed"] = self.deform_input(source_image, motion["deformation"])
        result["prediction"] = self.decode(out)
        return result
