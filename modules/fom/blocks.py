"""Building blocks of the First Order Motion Model, with the original's state-dict names.

Numerical conventions reproduced on purpose (see shared/fixtures/fom/README.md):
- coordinate grids put -1 and +1 on the first and last pixel *centres*, last dim ordered (x, y);
- warping uses `grid_sample` (bilinear, zero padding) with `align_corners=False` by default, which is
  what the original code computes on any torch >= 1.3 (see `warp`);
- BatchNorm is plain `nn.BatchNorm2d` (the original's SynchronizedBatchNorm2d computes the same thing
  in eval mode and stores the same keys).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def make_coordinate_grid(h: int, w: int, *, dtype: torch.dtype = torch.float32,
                         device: torch.device | str | None = None) -> torch.Tensor:
    """(h, w, 2) grid of (x, y) in [-1, 1], endpoints on the first/last pixel centres."""
    x = torch.arange(w, dtype=dtype, device=device)
    y = torch.arange(h, dtype=dtype, device=device)
    # Same operation order as the original (divide, then scale) so values match bit for bit.
    x = 2 * (x / (w - 1)) - 1
    y = 2 * (y / (h - 1)) - 1
    return torch.stack([x.view(1, w).expand(h, w), y.view(h, 1).expand(h, w)], dim=-1)


def kp_gaussians(kp_value: torch.Tensor, h: int, w: int, variance: float) -> torch.Tensor:
    """Unnormalised Gaussians exp(-0.5 |z - kp|^2 / variance): (B, K, 2) -> (B, K, h, w)."""
    grid = make_coordinate_grid(h, w, dtype=kp_value.dtype, device=kp_value.device)
    diff = grid.view(1, 1, h, w, 2) - kp_value.view(*kp_value.shape[:2], 1, 1, 2)
    return torch.exp(-0.5 * (diff ** 2).sum(-1) / variance)


def warp(image: torch.Tensor, grid: torch.Tensor, align_corners: bool = False) -> torch.Tensor:
    """Bilinear zero-padded sampling of `image` (B, C, H, W) at `grid` (B, h, w, 2) in [-1, 1].

    The original calls `F.grid_sample(image, grid)` with no options. On torch >= 1.3 (the fixtures, and
    the original's own pinned 1.12) that means align_corners=False. The published checkpoints were trained
    under torch 1.0, whose grid_sample behaved like align_corners=True; configs may choose that instead.
    """
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=align_corners)


class ResBlock2d(nn.Module):
    """Pre-activation residual block: BN, ReLU, conv, BN, ReLU, conv, plus the input."""

    def __init__(self, in_features: int, kernel_size: int | tuple = 3, padding: int | tuple = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_features, in_features, kernel_size, padding=padding)
        self.conv2 = nn.Conv2d(in_features, in_features, kernel_size, padding=padding)
        self.norm1 = nn.BatchNorm2d(in_features, affine=True)
        self.norm2 = nn.BatchNorm2d(in_features, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(F.relu(self.norm1(x)))
        out = self.conv2(F.relu(self.norm2(out)))
        return out + x


class UpBlock2d(nn.Module):
    """Nearest x2 upsampling, conv, BN, ReLU."""

    def __init__(self, in_features: int, out_features: int, kernel_size: int | tuple = 3,
                 padding: int | tuple = 1, groups: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_features, out_features, kernel_size, padding=padding, groups=groups)
        self.norm = nn.BatchNorm2d(out_features, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.interpolate(x, scale_factor=2, mode="nearest")
        return F.relu(self.norm(self.conv(out)))


class DownBlock2d(nn.Module):
    """Conv, BN, ReLU, 2x2 average pooling."""

    def __init__(self, in_features: int, out_features: int, kernel_size: int | tuple = 3,
                 padding: int | tuple = 1, groups: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_features, out_features, kernel_size, padding=padding, groups=groups)
        self.norm = nn.BatchNorm2d(out_features, affine=True)
        self.pool = nn.AvgPool2d(kernel_size=(2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(F.relu(self.norm(self.conv(x))))


class SameBlock2d(nn.Module):
    """Conv, BN, ReLU at the same resolution."""

    def __init__(self, in_features: int, out_features: int, groups: int = 1,
                 kernel_size: int | tuple = 3, padding: int | tuple = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_features, out_features, kernel_size, padding=padding, groups=groups)
        self.norm = nn.BatchNorm2d(out_features, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.norm(self.conv(x)))


def _width(block_expansion: int, max_features: int, level: int) -> int:
    return min(max_features, block_expansion * (2 ** level))


class Encoder(nn.Module):
    """Hourglass encoder; returns the input and every level's output (the decoder's skips)."""

    def __init__(self, block_expansion: int, in_features: int, num_blocks: int = 3, max_features: int = 256):
        super().__init__()
        self.down_blocks = nn.ModuleList(
            DownBlock2d(in_features if i == 0 else _width(block_expansion, max_features, i),
                        _width(block_expansion, max_features, i + 1))
            for i in range(num_blocks))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs = [x]
        for block in self.down_blocks:
            outs.append(block(outs[-1]))
        return outs


class Decoder(nn.Module):
    """Hourglass decoder; concatenates [upsampled, skip] at every level."""

    def __init__(self, block_expansion: int, in_features: int, num_blocks: int = 3, max_features: int = 256):
        super().__init__()
        blocks = []
        for i in reversed(range(num_blocks)):
            mult = 1 if i == num_blocks - 1 else 2     # deeper levels also carry their skip
            blocks.append(UpBlock2d(mult * _width(block_expansion, max_features, i + 1),
                                    _width(block_expansion, max_features, i)))
        self.up_blocks = nn.ModuleList(blocks)
        self.out_filters = block_expansion + in_features

    def forward(self, skips: list[torch.Tensor]) -> torch.Tensor:
        skips = list(skips)
        out = skips.pop()
        for block in self.up_blocks:
            out = torch.cat([block(out), skips.pop()], dim=1)
        return out


class Hourglass(nn.Module):
    """U-Net style encoder/decoder; output has block_expansion + in_features channels."""

    def __init__(self, block_expansion: int, in_features: int, num_blocks: int = 3, max_features: int = 256):
        super().__init__()
        self.encoder = Encoder(block_expansion, in_features, num_blocks, max_features)
        self.decoder = Decoder(block_expansion, in_features, num_blocks, max_features)
        self.out_filters = self.decoder.out_filters

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class AntiAliasInterpolation2d(nn.Module):
    """Gaussian blur then subsampling by 1/scale (the original's band-limited downsampling).

    The kernel is a persistent buffer `weight` (C, 1, k, k), so it appears in state dicts as `down.weight`.
    """

    def __init__(self, channels: int, scale: float):
        super().__init__()
        sigma = (1 / scale - 1) / 2
        size = 2 * round(sigma * 4) + 1
        self.ka = size // 2
        self.kb = self.ka - 1 if size % 2 == 0 else self.ka
        coords = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
        g = torch.exp(-coords ** 2 / (2 * sigma ** 2))
        kernel = g.view(-1, 1) * g.view(1, -1)
        kernel = kernel / torch.sum(kernel)
        self.register_buffer("weight", kernel.view(1, 1, size, size).repeat(channels, 1, 1, 1))
        self.groups = channels
        self.scale = scale
        self.step = int(1 / scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.scale == 1.0:
            return x
        out = F.pad(x, (self.ka, self.kb, self.ka, self.kb))
        out = F.conv2d(out, weight=self.weight, groups=self.groups)
        # Nearest downsampling by an integer factor picks indices 0, step, 2*step, ...
        return out[:, :, ::self.step, ::self.step]
