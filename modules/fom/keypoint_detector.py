"""Keypoint detector: K keypoints (x, y) in [-1, 1] and a 2x2 jacobian at each."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import AntiAliasInterpolation2d, Hourglass, make_coordinate_grid


class KPDetector(nn.Module):
    """Hourglass on the (anti-aliased, downscaled) image, then a softmax heatmap per keypoint.

    Constructor parameters and state-dict names are the original's: `predictor.*`, `kp.*`,
    `jacobian.*`, `down.weight`.
    """

    def __init__(self, block_expansion: int, num_kp: int, num_channels: int, max_features: int,
                 num_blocks: int, temperature: float, estimate_jacobian: bool = False,
                 scale_factor: float = 1, single_jacobian_map: bool = False, pad: int = 0):
        super().__init__()
        self.predictor = Hourglass(block_expansion, in_features=num_channels,
                                   max_features=max_features, num_blocks=num_blocks)
        # 7x7 with padding 0: the heatmap is 6 pixels smaller than the feature map.
        self.kp = nn.Conv2d(self.predictor.out_filters, num_kp, kernel_size=(7, 7), padding=pad)
        if estimate_jacobian:
            self.num_jacobian_maps = 1 if single_jacobian_map else num_kp
            self.jacobian = nn.Conv2d(self.predictor.out_filters, 4 * self.num_jacobian_maps,
                                      kernel_size=(7, 7), padding=pad)
            # Identity jacobians before training, as the original initialises them.
            with torch.no_grad():
                self.jacobian.weight.zero_()
                self.jacobian.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 1.0] * self.num_jacobian_maps))
        else:
            self.jacobian = None
        self.temperature = temperature
        self.scale_factor = scale_factor
        if scale_factor != 1:
            self.down = AntiAliasInterpolation2d(num_channels, scale_factor)
        # Inference-only replacement for both heads at once (set by modules.fom.fused; never saved).
        self.fused_heads: nn.Module | None = None

    def heads(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Keypoint logits (B, K, h, w) and jacobian maps (B, 4J, h, w) or None."""
        if self.fused_heads is not None:
            return self.fused_heads(features)
        return self.kp(features), (self.jacobian(features) if self.jacobian is not None else None)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.scale_factor != 1:
            x = self.down(x)
        features = self.predictor(x)
        logits, jacobian_logits = self.heads(features)
        b, k, h, w = logits.shape
        heatmap = F.softmax(logits.view(b, k, -1) / self.temperature, dim=2).view(b, k, h, w)

        grid = make_coordinate_grid(h, w, dtype=heatmap.dtype, device=heatmap.device)
        out = {"value": (heatmap.unsqueeze(-1) * grid.view(1, 1, h, w, 2)).sum(dim=(2, 3))}

        if jacobian_logits is not None:
            jmap = jacobian_logits.reshape(b, self.num_jacobian_maps, 4, h, w)
            jac = (heatmap.unsqueeze(2) * jmap).view(b, k, 4, -1).sum(dim=-1)
            out["jacobian"] = jac.view(b, k, 2, 2)
        return out
