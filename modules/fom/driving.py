"""Driving-frame preparation on the device: uint8 frames of any size -> the model's frames.

Rule: scale (bilinear, `F.interpolate`) as large as fits the model frame (H x W, square or not), then
zero-pad the other side symmetrically. SDA's 128x96 (HxW) frames become 256x192 (x2) padded by 32 left
and right for a 256x256 model; a 64x64 frame in a 64x96 (HxW) model is padded by 16 left and right.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def _hw(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def fit_geometry(h: int, w: int, size: int | tuple[int, int]) -> tuple[int, int, int, int]:
    """(new_h, new_w, top, left) of an h x w frame scaled to fit the model frame `size` (S or (H, W)),
    centred."""
    th, tw = _hw(size)
    scale = min(th / h, tw / w)
    nh, nw = min(th, int(round(h * scale))), min(tw, int(round(w * scale)))
    return nh, nw, (th - nh) // 2, (tw - nw) // 2


def prepare_driving(frames: torch.Tensor | np.ndarray, size: int | tuple[int, int],
                    device: torch.device | str | None = None) -> torch.Tensor:
    """(B, h, w, 3) uint8 RGB frames -> (B, 3, H, W) float32 in [0, 1] on `device`; `size` is S or (H, W).

    The upload is done in uint8 (4x less to move) and the conversion, resize and padding on the device.
    """
    t = torch.as_tensor(frames)
    if t.ndim != 4 or t.shape[-1] != 3 or t.dtype != torch.uint8:
        raise ValueError(f"driving frames must be (B, h, w, 3) uint8, got {tuple(t.shape)} {t.dtype}")
    t = t.to(device) if device is not None else t
    x = t.permute(0, 3, 1, 2).float().div_(255.0)
    h, w = x.shape[2:]
    th, tw = _hw(size)
    if (h, w) == (th, tw):
        return x.contiguous()
    nh, nw, top, left = fit_geometry(h, w, (th, tw))
    if (nh, nw) != (h, w):
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
    return F.pad(x, (left, tw - nw - left, top, th - nh - top))
