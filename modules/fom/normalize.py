"""`normalize_kp`: turn driving keypoints into keypoints for the source (relative motion, scale)."""
from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import ConvexHull


def movement_scale(kp_source: dict[str, torch.Tensor], kp_driving_initial: dict[str, torch.Tensor]) -> float:
    """sqrt(source hull area) / sqrt(initial driving hull area), on batch element 0, in float64.

    `ConvexHull(...).volume` is the 2-D area (`.area` would be the perimeter), as in the original.
    """
    source_area = ConvexHull(kp_source["value"][0].detach().cpu().double().numpy()).volume
    driving_area = ConvexHull(kp_driving_initial["value"][0].detach().cpu().double().numpy()).volume
    return float(np.sqrt(source_area) / np.sqrt(driving_area))


def normalize_kp(kp_source: dict[str, torch.Tensor], kp_driving: dict[str, torch.Tensor],
                 kp_driving_initial: dict[str, torch.Tensor], adapt_movement_scale: bool = False,
                 use_relative_movement: bool = False, use_relative_jacobian: bool = False,
                 ) -> dict[str, torch.Tensor]:
    """Keypoints to drive the source with; same arguments and results as the original.

    Relative movement: value = (kp_d - kp_d0) * scale + kp_s, jacobian = (J_d J_d0^-1) J_s.
    Without it the driving keypoints pass through unchanged.
    """
    scale = movement_scale(kp_source, kp_driving_initial) if adapt_movement_scale else 1.0
    return _relative(kp_source, kp_driving, kp_driving_initial, scale, use_relative_movement,
                     use_relative_jacobian)


def _relative(kp_source, kp_driving, kp_driving_initial, scale, use_relative_movement, use_relative_jacobian,
              initial_jacobian_inverse=None):
    kp_new = dict(kp_driving)
    if use_relative_movement:
        diff = (kp_driving["value"] - kp_driving_initial["value"]) * scale
        kp_new["value"] = diff + kp_source["value"]
        if use_relative_jacobian:
            inv = (initial_jacobian_inverse if initial_jacobian_inverse is not None
                   else torch.inverse(kp_driving_initial["jacobian"]))
            kp_new["jacobian"] = torch.matmul(torch.matmul(kp_driving["jacobian"], inv), kp_source["jacobian"])
    return kp_new
