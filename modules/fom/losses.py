"""Training losses of the First Order Motion Model, each as the original computes it (weights applied here)."""
from __future__ import annotations

from typing import Sequence

import torch


def perceptual_loss(vgg, generated: dict[str, torch.Tensor], real: dict[str, torch.Tensor],
                    scales: Sequence[float], weights: Sequence[float]) -> torch.Tensor:
    """Sum over pyramid scales and VGG layers of w_i * mean|VGG_i(gen) - VGG_i(real)|; real side detached."""
    total = 0
    for s in scales:
        x_feats = vgg(generated[str(s)])
        with torch.no_grad():
            y_feats = vgg(real[str(s)])
        for w, x, y in zip(weights, x_feats, y_feats):
            total = total + w * (x - y).abs().mean()
    return total


def generator_gan_loss(disc_generated: dict, weight: float) -> torch.Tensor:
    """LSGAN: w * mean((1 - D(gen))^2), summed over discriminator scales."""
    return sum(weight * ((1 - pred) ** 2).mean() for _, pred in disc_generated.values())


def discriminator_gan_loss(disc_real: dict, disc_generated: dict, weight: float) -> torch.Tensor:
    """LSGAN: w * mean((1 - D(real))^2 + D(gen)^2), summed over scales."""
    return sum(weight * ((1 - disc_real[s][1]) ** 2 + disc_generated[s][1] ** 2).mean() for s in disc_real)


def feature_matching_loss(disc_real: dict, disc_generated: dict, weights: Sequence[float]) -> torch.Tensor:
    """Sum of w_i * mean|F_real - F_gen| over discriminator blocks; blocks with weight 0 are skipped."""
    total = 0
    for s in disc_real:
        for w, a, b in zip(weights, disc_real[s][0], disc_generated[s][0]):
            if w != 0:
                total = total + w * (a - b).abs().mean()
    return total


def equivariance_value_loss(kp_driving: torch.Tensor, transform, transformed_kp: torch.Tensor,
                            weight: float) -> torch.Tensor:
    """w * mean|kp_driving - T(kp of the transformed frame)|."""
    return weight * (kp_driving - transform.warp_coordinates(transformed_kp)).abs().mean()


def equivariance_jacobian_loss(jac_driving: torch.Tensor, transform, transformed_value: torch.Tensor,
                               transformed_jac: torch.Tensor, weight: float) -> torch.Tensor:
    """w * mean|I - inverse(J_driving) (J_T(transformed kp) J_transformed)|."""
    moved = torch.matmul(transform.jacobian(transformed_value), transformed_jac)
    value = torch.matmul(torch.inverse(jac_driving), moved)
    eye = torch.eye(2, dtype=value.dtype, device=value.device).view(1, 1, 2, 2)
    return weight * (eye - value).abs().mean()
