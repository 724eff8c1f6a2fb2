"""Random thin-plate-spline transform used by the equivariance losses (Siarohin et al., 2019, sec. 3.3).

Numerical conventions of the original on purpose: the radial basis uses the L1 distance |dx| + |dy| to
each control point, U(r) = r^2 log(r + 1e-6); frames are resampled with reflection padding; the
jacobian comes from autograd with `create_graph=True`, so second-order terms reach the kp detector.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .blocks import make_coordinate_grid


class TpsTransform:
    """Affine + TPS warp for a batch: theta = noise + eye(2, 3); `control_params` (B, 1, P*P)."""

    def __init__(self, noise: torch.Tensor, control_params: torch.Tensor | None = None):
        self.noise = noise
        self.control_params = control_params
        self.bs = noise.shape[0]

    @classmethod
    def random(cls, batch_size: int, sigma_affine: float, sigma_tps: float | None = None,
               points_tps: int | None = None, generator: torch.Generator | None = None) -> "TpsTransform":
        """Draw a transform as the original does (float32 normal draws, affine first, then TPS)."""
        noise = torch.normal(0.0, sigma_affine, size=(batch_size, 2, 3), generator=generator)
        params = None
        if sigma_tps is not None and points_tps is not None:
            params = torch.normal(0.0, sigma_tps, size=(batch_size, 1, points_tps ** 2), generator=generator)
        return cls(noise, params)

    def _parts(self, like: torch.Tensor):
        theta = self.noise.to(like) + torch.eye(2, 3, dtype=like.dtype, device=like.device).view(1, 2, 3)
        if self.control_params is None:
            return theta, None, None
        params = self.control_params.to(like)
        p = int(round(params.shape[-1] ** 0.5))
        points = make_coordinate_grid(p, p, dtype=like.dtype, device=like.device).view(1, 1, -1, 2)
        return theta, points, params

    def warp_coordinates(self, coordinates: torch.Tensor) -> torch.Tensor:
        """(B or 1, N, 2) points -> (B, N, 2) transformed points."""
        theta, points, params = self._parts(coordinates)
        theta = theta.unsqueeze(1)
        out = (torch.matmul(theta[:, :, :, :2], coordinates.unsqueeze(-1)) + theta[:, :, :, 2:]).squeeze(-1)
        if params is not None:
            dist = (coordinates.view(coordinates.shape[0], -1, 1, 2) - points).abs().sum(-1)
            radial = dist ** 2 * torch.log(dist + 1e-6) * params
            out = out + radial.sum(dim=2).view(self.bs, coordinates.shape[1], 1)
        return out

    def jacobian(self, coordinates: torch.Tensor) -> torch.Tensor:
        """(B, N, 2, 2) d warp / d coordinates, differentiable (create_graph=True)."""
        if not coordinates.requires_grad:
            coordinates = coordinates.detach().requires_grad_(True)
        moved = self.warp_coordinates(coordinates)
        gx = torch.autograd.grad(moved[..., 0].sum(), coordinates, create_graph=True)[0]
        gy = torch.autograd.grad(moved[..., 1].sum(), coordinates, create_graph=True)[0]
        return torch.stack([gx, gy], dim=-2)

    def transform_frame(self, frame: torch.Tensor) -> torch.Tensor:
        """Resample (B, C, H, W) frames through the transform (bilinear, reflection padding)."""
        _, _, h, w = frame.shape
        grid = make_coordinate_grid(h, w, dtype=frame.dtype, device=frame.device).view(1, h * w, 2)
        grid = self.warp_coordinates(grid).view(self.bs, h, w, 2)
        return F.grid_sample(frame, grid, padding_mode="reflection", align_corners=False)
