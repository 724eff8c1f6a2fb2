"""Identity encoder: strided Conv2d/BN/ReLU blocks, then a conv over the whole remaining map + Tanh.

State-dict names match the original `encoder_image.Encoder` (`cl.N.0` conv, `cl.N.1` BatchNorm).
"""
from __future__ import annotations

import torch
from torch import nn

from .plan import ImagePlan


class IdentityEncoder(nn.Module):
    def __init__(self, plan: ImagePlan, code_size: int, in_channels: int = 3):
        super().__init__()
        self.code_size = code_size
        self.cl = nn.ModuleList()
        prev = in_channels
        for ch in plan.channels:
            self.cl.append(nn.Sequential(nn.Conv2d(prev, ch, 4, stride=2, padding=1, bias=False),
                                         nn.BatchNorm2d(ch), nn.ReLU(inplace=True)))
            prev = ch
        self.cl.append(nn.Sequential(nn.Conv2d(prev, code_size, plan.final_size, bias=False), nn.Tanh()))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(identity code (B, code), skips): the outputs of every block but the last, shallowest first."""
        skips = []
        for block in self.cl[:-1]:
            x = block(x)
            skips.append(x)
        return self.cl[-1](x).view(-1, self.code_size), skips
