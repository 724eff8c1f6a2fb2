"""Frame generator: latent [audio code, noise, identity code] -> one image per frame.

State-dict names match the original `img_generator.Generator` (`rnn_noise`, `dcl.0` first transposed conv,
`dcl.i` UnetBlocks with `dcl1`/`dcl2`/`activation1.0`/`activation2.0`, last `dcl.N` transposed conv).
Batch and time are merged: every frame is generated independently once its latent is known.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .plan import ImagePlan


class UnetBlock(nn.Module):
    """cat([x, skip]) -> 3x3 transposed conv -> BN/ReLU -> 4x4 stride-2 transposed conv (doubles H, W) -> BN/ReLU."""

    def __init__(self, in_ch: int, out_ch: int, skip_ch: int):
        super().__init__()
        self.dcl1 = nn.ConvTranspose2d(in_ch + skip_ch, in_ch, 3, padding=1, bias=False)
        self.dcl2 = nn.ConvTranspose2d(in_ch, out_ch, 4, stride=2, padding=1, bias=False)
        self.activation1 = nn.Sequential(nn.BatchNorm2d(in_ch), nn.ReLU(inplace=True))
        self.activation2 = nn.Sequential(nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))

    def skip_term(self, skip: torch.Tensor) -> torch.Tensor:
        """The skip's share of `dcl1` (transposed convs are linear in their input channels): the same for
        every frame of a clip, so the fast path computes it once."""
        weight = self.dcl1.weight[self.dcl1.weight.shape[0] - skip.shape[1]:]
        return F.conv_transpose2d(skip, weight, padding=1)

    def forward(self, x: torch.Tensor, skip: torch.Tensor, skip_term: torch.Tensor | None = None) -> torch.Tensor:
        if skip_term is None:
            # `skip` is one identity feature map (1, C, h, w): broadcast over frames, not copied per frame.
            x = self.dcl1(torch.cat([x, skip.expand(x.shape[0], -1, -1, -1)], 1))
        else:
            # fast path: x's share only, plus the precomputed skip share (same maths, other rounding order)
            x = F.conv_transpose2d(x, self.dcl1.weight[:x.shape[1]], padding=1) + skip_term
        x = self.activation1(x)
        h, w = x.shape[-2:]
        x = self.dcl2(x, output_size=[2 * h, 2 * w])
        return self.activation2(x)


class FrameGenerator(nn.Module):
    def __init__(self, plan: ImagePlan, img_size: tuple[int, int], latent: int, condition: int, aux: int,
                 sequential_noise: bool, out_channels: int = 3):
        super().__init__()
        self.img_size = (int(img_size[0]), int(img_size[1]))
        self.aux = aux
        self.total_latent = latent + condition + aux
        self.rnn_noise = nn.GRU(aux, aux, batch_first=True) if aux > 0 and sequential_noise else None
        top = plan.channels[-1]
        skip_channels = list(reversed(plan.channels))
        self.dcl = nn.ModuleList([nn.Sequential(nn.ConvTranspose2d(self.total_latent, top, plan.init_size, bias=False),
                                                nn.BatchNorm2d(top), nn.ReLU(inplace=True))])
        ch = top
        for i in range(plan.n_unet):
            self.dcl.append(UnetBlock(ch, ch // 2, skip_channels[i]))
            ch //= 2
        self.dcl.append(nn.ConvTranspose2d(ch, out_channels, 4, stride=2, padding=1, bias=False))

    def noise_sequence(self, noise: torch.Tensor) -> torch.Tensor:
        """The noise as the generator consumes it: through the noise GRU + Tanh when `sequential_noise`."""
        if self.rnn_noise is None:
            return noise
        return torch.tanh(self.rnn_noise(noise)[0])

    def skip_terms(self, skips_deep_first: list[torch.Tensor]) -> list[torch.Tensor]:
        """Per-clip constant parts of each UnetBlock's first conv (for `frames(..., skip_terms=...)`)."""
        return [block.skip_term(s) for block, s in zip(self.dcl[1:-1], skips_deep_first)]

    def frames(self, latent: torch.Tensor, skips_deep_first: list[torch.Tensor],
               skip_terms: list[torch.Tensor] | None = None) -> torch.Tensor:
        """(N, total_latent) latents (order: audio code, noise, identity code) -> (N, C, H, W) in (-1, 1).
        `skips_deep_first[i]` (1, C, h, w) feeds UnetBlock i; extra (shallow) skips are unused, as in the
        original. With `skip_terms` (from `skip_terms()`), the skip half of each block's first conv is not
        recomputed per frame: about 1/3 less work, results equal up to float32 rounding (~1e-6)."""
        x = self.dcl[0](latent.reshape(-1, self.total_latent, 1, 1))
        for i, block in enumerate(self.dcl[1:-1]):
            x = block(x, skips_deep_first[i], None if skip_terms is None else skip_terms[i])
        x = self.dcl[-1](x, output_size=list(self.img_size))
        return torch.tanh(x)
