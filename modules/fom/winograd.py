"""3x3 stride-1 pad-1 convolution by Winograd F(2x2, 3x3): 16 batched matrix products instead of 36
multiply-adds per output pair, so the generator's bottleneck (most of FOM's per-frame work) runs
~2x cheaper on CPU. Accurate to float32 rounding (~1e-6 relative); used only by the inference path.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

# Kernel transform G (4x3); the input (B^T) and output (A^T) transforms are written out as additions.
_G = [[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]]


def winograd_kernel(weight: torch.Tensor) -> torch.Tensor:
    """(Cout, Cin, 3, 3) conv weight -> (16, Cout, Cin) transformed weight (computed in float64)."""
    g = torch.tensor(_G, dtype=torch.float64, device=weight.device)
    u = g @ weight.double() @ g.T                                    # (Cout, Cin, 4, 4)
    return u.permute(2, 3, 0, 1).reshape(16, weight.shape[0], weight.shape[1]).to(weight.dtype).contiguous()


def _input_rows(t: torch.Tensor, dim: int, n: int) -> tuple[torch.Tensor, ...]:
    """B^T along `dim`: tile k covers padded positions 2k..2k+3; returns the 4 transformed slices."""
    d = [t.narrow(dim, k, 2 * n - 1)[(slice(None),) * dim + (slice(None, None, 2),)] for k in range(4)]
    return d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]


def conv3x3(x: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """Same result as `F.conv2d(x, w, bias, padding=1)` for even H, W, with kernel = winograd_kernel(w)."""
    b, c, h, w = x.shape
    th, tw = h // 2, w // 2
    cout = kernel.shape[1]
    xp = F.pad(x, (1, 1, 1, 1))
    v = x.new_empty(4, 4, c, b, th, tw)
    for i, row in enumerate(_input_rows(xp, 2, th)):
        for j, tile in enumerate(_input_rows(row, 3, tw)):
            v[i, j].copy_(tile.transpose(0, 1))
    m = torch.bmm(kernel, v.view(16, c, b * th * tw)).view(4, 4, cout, b, th, tw)
    # A^T rows: y0 = m0 + m1 + m2, y1 = m1 - m2 - m3 (first over rows, then over columns).
    p = (m[0] + m[1] + m[2], m[1] - m[2] - m[3])                     # each (4, Cout, B, th, tw)
    out = x.new_empty(b, cout, th, 2, tw, 2)
    for a in range(2):
        q = p[a]
        torch.add(q[0] + q[1], q[2], out=out[:, :, :, a, :, 0].transpose(0, 1)) if False else None
        out[:, :, :, a, :, 0] = (q[0] + q[1] + q[2]).transpose(0, 1)
        out[:, :, :, a, :, 1] = (q[1] - q[2] - q[3]).transpose(0, 1)
    out = out.view(b, cout, h, w)
    if bias is not None:
        out += bias.view(1, -1, 1, 1)
    return out
