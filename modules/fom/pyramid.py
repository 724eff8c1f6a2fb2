"""Image pyramid: the image at several scales, each anti-aliased like the kp detector's input."""
from __future__ import annotations

import torch
from torch import nn

from .blocks import AntiAliasInterpolation2d
from .discriminator import scale_key


class ImagePyramid(nn.Module):
    """`forward(x)` -> {str(scale): image at that scale}. Scale 1 returns the input itself."""

    def __init__(self, scales, num_channels: int):
        super().__init__()
        self.scales = list(scales)
        # The scale-1 entry has an undefined (NaN) kernel, as in the original; it is never applied.
        self.downs = nn.ModuleDict({scale_key(s): AntiAliasInterpolation2d(num_channels, s) for s in self.scales})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {str(s): self.downs[scale_key(s)](x) for s in self.scales}
