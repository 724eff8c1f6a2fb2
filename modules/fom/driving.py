"""Driving-frame preparation on the device: uint8 frames of any size -> the model's square frames.

Rule: scale (bilinear, `F.interpolate`) so the longer side equals the model frame size, then zero-pad the
shorter side symmetrically. SDA's 128x96 (HxW) frames become 256x192 (x2) padded by 32 left and right.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def fit_geometry(h: int, w: int, size: int) -> tuple[int, int, int, int]:
    """(new_h, new_w, top, left) of an h x w frame scaled to fit a size x size square, centred."""
    scale = size / max(h, w)
    nh, nw = min(size, int(round(h * scale))), min(size, int(round(w * scale)))
    return nh, nw, (size - nh) // 2, (size - nw) // 2


def prepare_driving(frames: torch.Tensor | np.ndarray, size: int, device: torch.device | str | None = None
                    ) -> torch.Tensor:
    """(B, h, w, 3) uint8 RGB frames -> (B, 3, size, size) float32 in [0, 1] on `device`.

    The upload is done in uint8 (4x less to move) and the conversion, resize and padding on the device.
    """
    t = torch.as_tensor(frames)
    if t.ndim != 4 or t.shape[-1] != 3 or t.dtype != torch.uint8:
        raise ValueError(f"driving frames must be (B, h, w, 3) uint8, got {tuple(t.shape)} {t.dtype}")
    t = t.to(device) if device is not None else t
    x = t.permute(0, 3, 1, 2).float().div_(255.0)
    h, w = x.shape[2:]
    if (h, w) == (size, size):
        return x.contiguous()
    nh, nw, top, left = fit_geometry(h, w, size)
    if (nh, nw) != (h, w):
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
    return F.pad(x, (left, size - nw - left, top, size - nh - top))
