"""Inference-only rewrites of the FOM blocks: the same function, less work per frame.

- BatchNorm that follows a convolution is folded into the convolution's weights (eval mode only).
- Output heads that read the same features (keypoint + jacobian maps, mask + occlusion) run as one
  convolution: a 7x7 conv with 1 output channel costs about as much as one with 11 on CPU.
- `UpBlock2d` (nearest x2, then 3x3 conv) becomes one 2x2 convolution on the *low-resolution* input with
  4x the output channels, one group per output phase (row parity, column parity), interleaved after.
  Nearest upsampling repeats each input pixel, so for each phase the 3x3 kernel collapses to 2x2 summed
  taps: 16 instead of 36 multiply-adds per output, the same result up to float rounding (~1e-6).

`fast_copy(module)` returns a rewritten deep copy; the original module is left as it is.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import DownBlock2d, ResBlock2d, SameBlock2d, UpBlock2d
from .dense_motion import DenseMotionNetwork
from .keypoint_detector import KPDetector


def fold_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight, bias) of conv followed by eval-mode BN, folded (computed in float64)."""
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    weight = conv.weight.double() * scale.view(-1, 1, 1, 1)
    bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
    bias = (bias - bn.running_mean.double()) * scale + bn.bias.double()
    return weight.to(conv.weight.dtype), bias.to(conv.weight.dtype)


class _FoldedConv(nn.Module):
    def __init__(self, conv: nn.Conv2d, bn: nn.BatchNorm2d):
        super().__init__()
        w, b = fold_bn(conv, bn)
        self.weight, self.bias = nn.Parameter(w, requires_grad=False), nn.Parameter(b, requires_grad=False)
        self.padding, self.groups = conv.padding, conv.groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, padding=self.padding, groups=self.groups)


class FastSameBlock2d(nn.Module):
    def __init__(self, block: SameBlock2d):
        super().__init__()
        self.conv = _FoldedConv(block.conv, block.norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu_(self.conv(x))


class FastDownBlock2d(nn.Module):
    def __init__(self, block: DownBlock2d):
        super().__init__()
        self.conv = _FoldedConv(block.conv, block.norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(F.relu_(self.conv(x)), 2)


class FastResBlock2d(nn.Module):
    def __init__(self, block: ResBlock2d):
        super().__init__()
        self.norm1 = block.norm1                       # acts on the block input: cannot be folded
        self.conv1 = _FoldedConv(block.conv1, block.norm2)
        self.conv2 = block.conv2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(F.relu(self.norm1(x)))
        return self.conv2(F.relu_(out)).add_(x)


class FastUpBlock2d(nn.Module):
    """Nearest x2 + 3x3 conv (pad 1) + BN + ReLU, computed as a phase-split 2x2 conv (see module doc)."""

    def __init__(self, block: UpBlock2d):
        super().__init__()
        conv = block.conv
        if conv.kernel_size != (3, 3) or conv.padding != (1, 1) or conv.groups != 1:
            raise ValueError("FastUpBlock2d needs a 3x3, padding 1, ungrouped convolution")
        w, b = fold_bn(conv, block.norm)
        w = w.double()
        # Taps of x rows (i-1, i) for even output rows and (i, i+1) for odd ones; same for columns.
        rows = (torch.stack([w[:, :, 0], w[:, :, 1] + w[:, :, 2]], 2),
                torch.stack([w[:, :, 0] + w[:, :, 1], w[:, :, 2]], 2))         # (Co, Ci, 2, 3)
        phases = []
        for a in (0, 1):
            r = rows[a]
            cols = (torch.stack([r[..., 0], r[..., 1] + r[..., 2]], -1),
                    torch.stack([r[..., 0] + r[..., 1], r[..., 2]], -1))       # (Co, Ci, 2, 2)
            phases += [cols[0], cols[1]]
        self.out_channels = w.shape[0]
        self.weight = nn.Parameter(torch.cat(phases).to(conv.weight.dtype), requires_grad=False)
        self.bias = nn.Parameter(b.repeat(4), requires_grad=False)
        self.weight3 = nn.Parameter(w.to(conv.weight.dtype), requires_grad=False)
        self.bias3 = nn.Parameter(b, requires_grad=False)

    # Below this many input pixels the convolution is bound by reading its weights, and the phase-split
    # weights are 16/9 as large: upsample and use the folded 3x3 weights instead.
    MIN_PIXELS = 64

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bsz, _, h, w = x.shape
        if h * w < self.MIN_PIXELS:
            up = F.interpolate(x, scale_factor=2, mode="nearest")
            return F.relu_(F.conv2d(up, self.weight3, self.bias3, padding=1))
        co = self.out_channels
        # Output (i, j) of phase (a, b) sits at (i + a, j + b) of the 2x2 conv over the input zero-padded by 1.
        y = F.relu_(F.conv2d(x, self.weight, self.bias, padding=1))
        out = y.new_empty(bsz, co, h, 2, w, 2)
        for a in (0, 1):
            for b in (0, 1):
                k = 2 * a + b
                out[:, :, :, a, :, b] = y[:, k * co:(k + 1) * co, a:a + h, b:b + w]
        return out.view(bsz, co, 2 * h, 2 * w)


class MergedHeads(nn.Module):
    """Two convolutions over the same input (same kernel size and padding) run as one."""

    def __init__(self, first: nn.Conv2d, second: nn.Conv2d | None):
        super().__init__()
        convs = [first] + ([second] if second is not None else [])
        if any(c.kernel_size != first.kernel_size or c.padding != first.padding or c.groups != 1 for c in convs):
            raise ValueError("MergedHeads needs ungrouped convolutions of one kernel size and padding")
        self.split = first.out_channels
        self.has_second = second is not None
        self.weight = nn.Parameter(torch.cat([c.weight for c in convs]).detach().clone(), requires_grad=False)
        self.bias = nn.Parameter(torch.cat([c.bias for c in convs]).detach().clone(), requires_grad=False)
        self.padding = first.padding

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        y = F.conv2d(x, self.weight, self.bias, padding=self.padding)
        return y[:, :self.split], (y[:, self.split:] if self.has_second else None)


_REWRITES = {UpBlock2d: FastUpBlock2d, DownBlock2d: FastDownBlock2d, SameBlock2d: FastSameBlock2d,
             ResBlock2d: FastResBlock2d}


def fast_copy(module: nn.Module) -> nn.Module:
    """A deep copy of an eval-mode FOM module with every block replaced by its fused equivalent."""
    out = copy.deepcopy(module).eval()
    for parent in list(out.modules()):
        for name, child in list(parent.named_children()):
            rewrite = _REWRITES.get(type(child))
            if rewrite is not None:
                setattr(parent, name, rewrite(child))
    for m in list(out.modules()):
        if isinstance(m, KPDetector):
            m.fused_heads = MergedHeads(m.kp, m.jacobian)
        elif isinstance(m, DenseMotionNetwork):
            m.fused_heads = MergedHeads(m.mask, m.occlusion)
    return out
