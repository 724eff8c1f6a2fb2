"""Dense motion network: from K sparse keypoint motions to a dense flow field and an occlusion map.

Split in two so an animator can do the source-only part once per portrait: `prepare_source`
(downscaled source, source Gaussians, identity grid) and `motion` (everything that depends on the
driving keypoints). `forward` chains them exactly as the original's single forward does.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import AntiAliasInterpolation2d, Hourglass, kp_gaussians, make_coordinate_grid, warp


@dataclass
class MotionSource:
    """Source-side inputs of the dense motion network, reusable for every driving frame."""
    image: torch.Tensor          # (B, C, h, w) downscaled source
    gaussians: torch.Tensor      # (B, K, h, w) Gaussians at the source keypoints
    kp_value: torch.Tensor       # (B, K, 2)
    kp_jacobian: torch.Tensor | None
    identity: torch.Tensor       # (h, w, 2) coordinate grid


def inverse_2x2(m: torch.Tensor) -> torch.Tensor:
    """Inverse of (..., 2, 2) matrices by the adjugate over the determinant."""
    a, b, c, d = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
    det = a * d - b * c
    return torch.stack([torch.stack([d, -b], -1), torch.stack([-c, a], -1)], -2) / det[..., None, None]


class DenseMotionNetwork(nn.Module):
    """State-dict names as the original: `hourglass.*`, `mask.*`, `occlusion.*`, `down.weight`."""

    def __init__(self, block_expansion: int, num_blocks: int, max_features: int, num_kp: int,
                 num_channels: int, estimate_occlusion_map: bool = False, scale_factor: float = 1,
                 kp_variance: float = 0.01, align_corners: bool = False):
        super().__init__()
        self.hourglass = Hourglass(block_expansion=block_expansion, in_features=(num_kp + 1) * (num_channels + 1),
                                   max_features=max_features, num_blocks=num_blocks)
        self.mask = nn.Conv2d(self.hourglass.out_filters, num_kp + 1, kernel_size=(7, 7), padding=(3, 3))
        if estimate_occlusion_map:
            self.occlusion = nn.Conv2d(self.hourglass.out_filters, 1, kernel_size=(7, 7), padding=(3, 3))
        else:
            self.occlusion = None
        self.num_kp = num_kp
        self.scale_factor = scale_factor
        self.kp_variance = kp_variance
        self.align_corners = align_corners
        if scale_factor != 1:
            self.down = AntiAliasInterpolation2d(num_channels, scale_factor)
        # Inference-only replacement for both heads at once (set by modules.fom.fused; never saved).
        self.fused_heads: nn.Module | None = None
        # Invert the 2x2 driving jacobians in closed form (ONNX has no matrix inverse; set by the export).
        self.closed_form_inverse = False

    def prepare_source(self, source_image: torch.Tensor, kp_source: dict[str, torch.Tensor]) -> MotionSource:
        image = self.down(source_image) if self.scale_factor != 1 else source_image
        _, _, h, w = image.shape
        return MotionSource(image=image,
                            gaussians=kp_gaussians(kp_source["value"], h, w, self.kp_variance),
                            kp_value=kp_source["value"], kp_jacobian=kp_source.get("jacobian"),
                            identity=make_coordinate_grid(h, w, dtype=image.dtype, device=image.device))

    def sparse_motions(self, src: MotionSource, kp_driving: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, K+1, h, w, 2) sampling grids: identity (background) then J_s J_d^-1 (z - kp_d) + kp_s."""
        value = kp_driving["value"]
        b, k = value.shape[:2]
        h, w = src.identity.shape[:2]
        z = src.identity.view(1, 1, h, w, 2) - value.view(b, k, 1, 1, 2)
        if "jacobian" in kp_driving:
            jd = kp_driving["jacobian"]
            inv = inverse_2x2(jd) if self.closed_form_inverse else torch.inverse(jd)
            jac = torch.matmul(src.kp_jacobian, inv)                                    # (B, K, 2, 2)
            # Same contraction as the original's per-pixel matmul: out_i = sum_j J_ij z_j.
            z = torch.matmul(jac.view(b, k, 1, 1, 2, 2), z.unsqueeze(-1)).squeeze(-1)
        moved = z + src.kp_value.view(-1, k, 1, 1, 2)
        return torch.cat([src.identity.view(1, 1, h, w, 2).expand(b, 1, h, w, 2), moved], dim=1)

    def motion(self, src: MotionSource, kp_driving: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Dense motion for a batch of driving keypoints against one prepared source."""
        value = kp_driving["value"]
        b, k = value.shape[:2]
        c, h, w = src.image.shape[1:]
        heat = kp_gaussians(value, h, w, self.kp_variance) - src.gaussians
        heat = torch.cat([heat.new_zeros(b, 1, h, w), heat], dim=1).unsqueeze(2)       # background first

        grids = self.sparse_motions(src, kp_driving)
        image = src.image.expand(b, c, h, w) if src.image.shape[0] == 1 else src.image
        images = image.unsqueeze(1).expand(b, k + 1, c, h, w).reshape(b * (k + 1), c, h, w)
        deformed = warp(images, grids.reshape(b * (k + 1), h, w, 2), self.align_corners).view(b, k + 1, c, h, w)

        # Channel order within each keypoint group: [heat, R, G, B].
        features = self.hourglass(torch.cat([heat, deformed], dim=2).view(b, -1, h, w))
        mask_logits, occlusion_logits = self.heads(features)
        mask = F.softmax(mask_logits, dim=1)
        deformation = (grids.permute(0, 1, 4, 2, 3) * mask.unsqueeze(2)).sum(dim=1).permute(0, 2, 3, 1)
        out = {"sparse_deformed": deformed, "mask": mask, "deformation": deformation}
        if occlusion_logits is not None:
            out["occlusion_map"] = torch.sigmoid(occlusion_logits)
        return out

    def heads(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Mask logits (B, K+1, h, w) and occlusion logits (B, 1, h, w) or None."""
        if self.fused_heads is not None:
            return self.fused_heads(features)
        return self.mask(features), (self.occlusion(features) if self.occlusion is not None else None)

    def forward(self, source_image: torch.Tensor, kp_driving: dict[str, torch.Tensor],
                kp_source: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.motion(self.prepare_source(source_image, kp_source), kp_driving)
