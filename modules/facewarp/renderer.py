"""Portrait + motion rows -> frames: crop the face, warp it on the device in batches, paste it back.

Only the square crop around the face is ever touched; the crop is blended back through a feathered mask,
and the warp itself fades to the identity inside the crop, so the rest of the portrait is left as it was.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from modules import facecrop
from modules.landmarks import face_box

from .field import WarpField
from .motion import OPEN, PRESS, ROUND, TONGUE, TUCK, WIDE, check
from .rig import build_rig

CROP_SCALE = 1.8
LUMA = torch.tensor([0.299, 0.587, 0.114])


class FaceWarpRenderer:
    """Renders one portrait (HxWx3 uint8, the output size) whose face mesh is `mesh` (478, 2).

    `flow_res`: side of the coarse grid the rigid head motion is computed on (upsampled to the crop);
    `batch`: frames warped together on the device; `cpu_threads`: torch threads while warping on CPU (None: torch's own setting);
    `mouth`: how much the mouth moves (1 = as driven)."""

    def __init__(self, portrait: np.ndarray, mesh: np.ndarray, *, flow_res: int = 48,
                 batch: int = 8, device: torch.device | str = "cpu", cpu_threads: int | None = None,
                 mouth: float = 1.0):
        self.portrait = np.ascontiguousarray(portrait)
        self.device = torch.device(device)
        self.batch = max(1, int(batch))
        self.mouth = float(mouth)     # scales the mouth channels (opening, spread/purse, rounding)
        # On an idle 2-core CPU both threads help (580 vs 433 fps at 512 px); on an oversubscribed one a
        # single thread is far faster (10 vs 200 ms/frame measured), so callers sharing the CPU can pin it.
        self.cpu_threads = None if cpu_threads is None else max(1, int(cpu_threads))
        h, w = portrait.shape[:2]
        self.rig = build_rig(self.portrait, mesh)
        self.lid_luma = float(np.dot(self.rig.lid_colour, LUMA.numpy()))    # the closed lid's brightness
        self.crop = facecrop.square_around(face_box(mesh), (w, h), scale=CROP_SCALE)
        side = self.crop.side
        self.res = int(min(side, flow_res))
        self.field = WarpField(self.rig, (self.crop.x0, self.crop.y0), side, self.res, self.device)
        patch = self.crop.cut(self.portrait)
        self.patch = torch.from_numpy(np.ascontiguousarray(patch)).to(self.device).permute(2, 0, 1)[None]
        self.patch = self.patch.float() / 255.0
        # the warped crop fades back into the portrait through a feathered edge (blended here, on the device,
        # for the whole batch at once: pasting is then a plain copy); both kept in 0..255 (+0.5 to round)
        self.mask255 = torch.from_numpy(facecrop.feather_mask(side) * 255.0).to(self.device)[None, None]
        self.patch255 = self.patch * 255.0 + 0.5

    def _warp_batch(self, rows: np.ndarray) -> np.ndarray:
        side = self.crop.side
        warp = self.field.build(rows)
        # portrait px -> crop px -> grid_sample's [-1, 1] (align_corners=False: pixel centres)
        origin = torch.tensor([self.crop.x0, self.crop.y0], dtype=warp.source.dtype, device=self.device)
        grid = (warp.source - origin + 0.5) * (2.0 / side) - 1
        n = rows.shape[0]
        img = F.grid_sample(self.patch.expand(n, -1, -1, -1), grid, mode="bilinear",
                            padding_mode="border", align_corners=False)
        y0, y1, x0, x1 = warp.box
        roi = img[:, :, y0:y1, x0:x1]
        img[:, :, y0:y1, x0:x1] = roi + (warp.paint_rgb - roi) * warp.paint_alpha
        lid, lash = self.field.colours["lid_colour"], self.field.colours["lash_colour"]
        for (ey0, ey1, ex0, ex1), cover, shade, alpha in warp.lids or ():
            roi = img[:, :, ey0:ey1, ex0:ex1]
            # the mirrored skin may pick up something dark above the eye (a glasses rim, a brow, shadow):
            # a lid is never much darker than the lid skin, so such pixels take the lid's colour instead
            luma = (roi * LUMA.to(roi).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
            fix = cover * ((0.85 * self.lid_luma - luma) / (0.2 * self.lid_luma)).clamp(0, 1)
            roi = (roi + (lid - roi) * fix) * shade
            img[:, :, ey0:ey1, ex0:ex1] = roi + (lash - roi) * alpha
        # in place: these are the batch's largest tensors
        out = img.sub_(self.patch).mul_(self.mask255).add_(self.patch255).clamp_(0, 255).to(torch.uint8)
        return out.permute(0, 2, 3, 1).contiguous().cpu().numpy()

    def _warp_batch_threads(self, rows: np.ndarray) -> np.ndarray:
        if self.device.type != "cpu" or self.cpu_threads is None:
            return self._warp_batch(rows)
        # set per batch and restored at once, so code running between frames keeps its own setting
        before = torch.get_num_threads()
        torch.set_num_threads(self.cpu_threads)
        try:
            return self._warp_batch(rows)
        finally:
            torch.set_num_threads(before)

    @torch.inference_mode()
    def render(self, motion: np.ndarray, n_frames: int) -> Iterator[np.ndarray]:
        """Yield `n_frames` HxWx3 uint8 frames for motion rows (n_frames, channels)."""
        rows = check(motion, n_frames)
        if self.mouth != 1.0:
            rows = rows.copy()
            rows[:, [OPEN, WIDE, ROUND, PRESS, TUCK, TONGUE]] *= self.mouth
        for i in range(0, n_frames, self.batch):
            patches = self._warp_batch_threads(rows[i:i + self.batch])
            for patch in patches:
                yield facecrop.put(self.portrait, patch, self.crop)
