"""Multi-scale patch discriminator of the First Order Motion Model (training only).

State-dict names are the original's (`discs.<scale>.down_blocks.N.conv.*`, `discs.<scale>.conv.*`); with
`sn: true` the convs carry torch's spectral norm (`weight_orig`, `weight_u`, `weight_v`), which does one
power iteration on every call in train mode, exactly like the original.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import kp_gaussians


def scale_key(scale: float) -> str:
    """Module-dict key of a scale ('1', '0-5'): dots are not allowed in module names."""
    return str(scale).replace(".", "-")


class DiscriminatorBlock(nn.Module):
    """4x4 conv (no padding), optional InstanceNorm, LeakyReLU(0.2), optional 2x2 average pooling."""

    def __init__(self, in_features: int, out_features: int, norm: bool = False, pool: bool = False,
                 sn: bool = False):
        super().__init__()
        conv = nn.Conv2d(in_features, out_features, kernel_size=4)
        self.conv = nn.utils.spectral_norm(conv) if sn else conv
        self.norm = nn.InstanceNorm2d(out_features, affine=True) if norm else None
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        if self.norm is not None:
            out = self.norm(out)
        out = F.leaky_relu(out, 0.2)
        return F.avg_pool2d(out, (2, 2)) if self.pool else out


class Discriminator(nn.Module):
    """Patch discriminator on an image (plus keypoint heatmaps when `use_kp`)."""

    def __init__(self, num_channels: int = 3, block_expansion: int = 64, num_blocks: int = 4,
                 max_features: int = 512, sn: bool = False, use_kp: bool = False, num_kp: int = 10,
                 kp_variance: float = 0.01, **_unused):
        super().__init__()
        blocks = []
        for i in range(num_blocks):
            in_f = num_channels + num_kp * use_kp if i == 0 else min(max_features, block_expansion * 2 ** i)
            blocks.append(DiscriminatorBlock(in_f, min(max_features, block_expansion * 2 ** (i + 1)),
                                             norm=i != 0, pool=i != num_blocks - 1, sn=sn))
        self.down_blocks = nn.ModuleList(blocks)
        conv = nn.Conv2d(blocks[-1].conv.out_channels, 1, kernel_size=1)
        self.conv = nn.utils.spectral_norm(conv) if sn else conv
        self.use_kp = use_kp
        self.kp_variance = kp_variance

    def forward(self, x: torch.Tensor, kp_value: torch.Tensor | None = None
                ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """(feature map of every block, prediction map)."""
        out = x
        if self.use_kp:
            out = torch.cat([out, kp_gaussians(kp_value, x.shape[2], x.shape[3], self.kp_variance)], dim=1)
        features = []
        for block in self.down_blocks:
            out = block(out)
            features.append(out)
        return features, self.conv(out)


class MultiScaleDiscriminator(nn.Module):
    """One Discriminator per scale of the image pyramid; keys `prediction_<scale>` in, out
    `{scale: (features, prediction_map)}`."""

    def __init__(self, scales=(1,), **kwargs):
        super().__init__()
        self.scales = list(scales)
        self.discs = nn.ModuleDict({scale_key(s): Discriminator(**kwargs) for s in self.scales})

    def forward(self, pyramid: dict[str, torch.Tensor], kp_value: torch.Tensor | None = None
                ) -> dict[str, tuple[list[torch.Tensor], torch.Tensor]]:
        return {str(s): self.discs[scale_key(s)](pyramid[str(s)], kp_value) for s in self.scales}
