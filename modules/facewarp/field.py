"""The dense backward warp: for every output pixel of the face crop, where to sample the portrait.

Built from landmark-anchored local deformations, each a smooth 1-D profile in its feature's frame:
whole-head rigid motion (rotation about the neck, small shifts for yaw/pitch) fading out at the face hull;
the lower lip and jaw dropping, the upper lip lifting, the mouth corners spreading or pursing; upper lids
sliding down over the eyes. The map is continuous: the gap between the parted lips samples the portrait's
own (stretched) lip seam, and the painter then covers it with the mouth interior.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .motion import BLINK, OPEN, PITCH, ROLL, ROUND, WIDE, YAW
from .rig import FaceRig

MAX_GAP = 0.13          # inner-lip gap at open=1, as a fraction of face height
LOWER_SHARE = 0.7       # how much of an opening the lower lip/jaw takes (the rest lifts the upper lip)
HULL_FADE = (0.92, 1.17)  # motion fades from full to none between these multiples of the face hull


def _smoothstep(x: torch.Tensor) -> torch.Tensor:
    x = x.clamp(0.0, 1.0)
    return x * x * (3 - 2 * x)


def _poly(coef: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    out = torch.zeros_like(x) + coef[0]
    for c in coef[1:]:
        out = out * x + c
    return out


@dataclass
class Warp:
    """One batch's backward map (pixel coords in the crop, (B, h, w, 2)) and the mouth-interior layer."""
    source: torch.Tensor
    paint_alpha: torch.Tensor    # (B, 1, h, w) 0..1
    paint_rgb: torch.Tensor      # (B, 3, h, w) 0..1


class WarpField:
    """Builds `Warp`s on a grid of `res` x `res` points spanning a `side` x `side` crop at (x0, y0)."""

    def __init__(self, rig: FaceRig, crop_origin: tuple[float, float], side: int, res: int,
                 device: torch.device, dtype: torch.dtype = torch.float32):
        self.rig, self.side, self.res, self.device, self.dtype = rig, side, res, device, dtype
        t = lambda v: torch.as_tensor(np.asarray(v, np.float64), dtype=dtype, device=device)  # noqa: E731
        self._t = t
        ox, oy = crop_origin
        step = side / res
        coords = (torch.arange(res, dtype=torch.float64) + 0.5) * step - 0.5
        ys, xs = torch.meshgrid(coords, coords, indexing="ij")
        # everything below works in portrait pixel coordinates
        self.px = (xs + ox).to(device=device, dtype=dtype)
        self.py = (ys + oy).to(device=device, dtype=dtype)
        # how much the face may move at each point: 1 inside the landmark hull, 0 beyond 1.17x of it
        dx = (self.px - float(rig.hull_centre[0])).double()
        dy = (self.py - float(rig.hull_centre[1])).double()
        ang = torch.rad2deg(torch.atan2(dy, dx)) % 360
        i0 = ang.floor().long() % 360
        frac = ang - ang.floor()
        radius = torch.as_tensor(rig.hull_radius, dtype=torch.float64)
        r = radius[i0] * (1 - frac) + radius[(i0 + 1) % 360] * frac
        s = torch.sqrt(dx * dx + dy * dy) / r
        lo, hi = HULL_FADE
        self.active = (1 - _smoothstep((s - lo) / (hi - lo))).to(device=device, dtype=dtype)
        m = rig.mouth
        self.m_origin, self.m_axis, self.m_normal = t(m.origin), t(m.axis), t(m.normal)
        self.m_scale = float(m.scale)
        self.lip_up, self.lip_lo = t(rig.lip_upper), t(rig.lip_lower)
        self.eyes = [(t(e.frame.origin), t(e.frame.axis), t(e.frame.normal), float(e.frame.scale),
                      t(e.upper), t(e.lower)) for e in rig.eyes]
        self.pivot = t(rig.pivot)
        self.colours = {k: t(getattr(rig, k)).view(1, 3, 1, 1)
                        for k in ("teeth_colour", "cavity_colour", "tongue_colour")}

    def build(self, motion: np.ndarray) -> Warp:
        """The warp for a batch of motion rows (B, channels)."""
        p = self._t(motion).view(-1, 1, 1, motion.shape[1])
        col = lambda k: p[..., k]  # noqa: E731  (B, 1, 1)
        rig, w = self.rig, self.m_scale
        px, py = self.px[None], self.py[None]

        # --- rigid head: undo rotation about the neck, then the yaw/pitch shifts
        H = rig.face_height
        roll = torch.deg2rad(col(ROLL))
        tx = torch.sin(torch.deg2rad(col(YAW))) * 0.5 * H
        ty = torch.sin(torch.deg2rad(col(PITCH))) * 0.5 * H
        rx, ry = px - tx - self.pivot[0], py - ty - self.pivot[1]
        c, s = torch.cos(roll), torch.sin(roll)
        qx = self.pivot[0] + c * rx + s * ry
        qy = self.pivot[1] - s * rx + c * ry
        head_dx, head_dy = qx - px, qy - py

        # --- mouth, in mouth units
        dxm, dym = qx - self.m_origin[0], qy - self.m_origin[1]
        a = dxm * self.m_axis[0] + dym * self.m_axis[1]
        b = dxm * self.m_normal[0] + dym * self.m_normal[1]
        a, b = a / w, b / w
        # corners: spread (wide) or purse (round) around the mouth centre, fading above the nose / below chin
        k = 0.14 * col(WIDE) - 0.24 * col(ROUND)
        vwin = _smoothstep((b - rig.nose_b) / (0.0 - rig.nose_b)) * \
            (1 - _smoothstep((b - 0.5 * rig.chin_b) / (0.5 * rig.chin_b)))
        prof = a * torch.exp(-(a / 1.3) ** 4)
        a_src = a - k / (1 + k) * prof * vwin
        ai = rig.inner_extent
        ac = a_src.clamp(-ai, ai)
        up0, lo0 = _poly(self.lip_up, ac), _poly(self.lip_lo, ac)
        lens = (1 - (a_src / ai) ** 2).clamp(min=0.0) ** 0.6
        g0 = (lo0 - up0).clamp(min=0.0) * lens.clamp(max=1.0) ** 0.3
        gap = col(OPEN).clamp(0, 1.5) * (MAX_GAP * H / w) * lens * (1 - 0.3 * col(ROUND))
        delta = gap - g0
        d_lo, d_up = LOWER_SHARE * delta, (1 - LOWER_SHARE) * delta
        up1, lo1 = up0 - d_up, lo0 + d_lo
        # below the lower lip the drop spreads from the lip's profile to the whole jaw by the chin
        d_jaw = LOWER_SHARE * col(OPEN).clamp(0, 1.5) * (MAX_GAP * H / w)
        chin1 = rig.chin_b + d_jaw
        t_low = _smoothstep((b - lo1) / (chin1 - lo1).clamp(min=1e-3))
        jawp = 1 - _smoothstep((a.abs() - 0.8) / (rig.jaw_extent - 0.8))
        below = 1 - _smoothstep((b - chin1) / (0.25 * H / w))
        f_low = (d_lo * (1 - t_low) + d_jaw * jawp * t_low) * below
        t_up = _smoothstep((up1 - b) / (up1 - rig.nose_b).clamp(min=1e-3))
        f_up = d_up * (1 - t_up)
        span = (lo1 - up1).clamp(min=1e-6)
        v = ((b - up1) / span).clamp(0, 1)
        b_src = torch.where(b >= lo1, b - f_low,
                            torch.where(b <= up1, b + f_up, up0 + v * (lo0 - up0)))
        da, db = (a_src - a) * w, (b_src - b) * w
        mouth_dx = da * self.m_axis[0] + db * self.m_normal[0]
        mouth_dy = da * self.m_axis[1] + db * self.m_normal[1]

        # --- eyelids: the upper lid slides down to the lower one, skin above it stretching after it
        eye_dx = torch.zeros_like(mouth_dx)
        eye_dy = torch.zeros_like(mouth_dy)
        blink = col(BLINK).clamp(0, 1)
        for origin, axis, normal, scale, upc, loc in self.eyes:
            ex, ey = qx - origin[0], qy - origin[1]
            ea = (ex * axis[0] + ey * axis[1]) / scale
            eb = (ex * normal[0] + ey * normal[1]) / scale
            eac = ea.clamp(-1, 1)
            up, lo = _poly(upc, eac), _poly(loc, eac)
            lo = torch.maximum(lo, up + 1e-3)
            brow = up - 1.1
            y1 = up + 0.97 * blink * (lo - up)
            above = brow + (eb - brow) * (up - brow) / (y1 - brow)
            inside = up + (eb - y1) * (lo - up) / (lo - y1).clamp(min=1e-3)
            src = torch.where((eb >= brow) & (eb <= y1), above,
                              torch.where((eb > y1) & (eb <= lo), inside, eb))
            lw = 1 - _smoothstep((ea.abs() - 0.85) / 0.45)
            deb = (src - eb) * lw * scale
            eye_dx = eye_dx + deb * normal[0]
            eye_dy = eye_dy + deb * normal[1]

        act = self.active[None]
        sx = px + act * (head_dx + mouth_dx + eye_dx)
        sy = py + act * (head_dy + mouth_dy + eye_dy)

        # --- mouth interior where the lips part (in output space)
        gap_px = span * w
        edge = 0.8 / w      # soft edge, ~1 px
        alpha = _smoothstep((b - up1) / edge + 0.5) * _smoothstep((lo1 - b) / edge + 0.5)
        alpha = alpha * _smoothstep(gap_px / 2.0 - 0.25) * act
        teeth_h = (0.28 / span).clamp(max=0.45)                       # upper teeth: fixed height
        lat = (a_src / (0.72 * ai)).clamp(-1.5, 1.5)
        teeth = _smoothstep((teeth_h - v) / 0.12 + 0.5) * (1 - _smoothstep(lat.abs() - 0.35)) \
            * _smoothstep(gap_px / 3.0 - 0.3)
        # rounded look: darker towards the corners and towards the teeth's lower edge
        teeth_shade = (1 - 0.45 * lat ** 2).clamp(min=0.3) * (1 - 0.25 * (v / teeth_h).clamp(0, 1) ** 2)
        low_teeth = _smoothstep((v - (1 - (0.1 / span).clamp(max=0.18))) / 0.1) * \
            (1 - _smoothstep(lat.abs() - 0.2)) * _smoothstep(gap_px / 6.0 - 0.5) * 0.55
        tongue = _smoothstep((v - 0.55) / 0.45) * (1 - _smoothstep(lat.abs() - 0.1)) * 0.5
        C = self.colours
        cav = C["cavity_colour"] * (1 - tongue[:, None]) + C["tongue_colour"] * tongue[:, None]
        # darker towards the corners, like a real mouth's depth
        cav = cav * (1 - 0.35 * (lat.abs().clamp(max=1.0) ** 2))[:, None]
        tw = (teeth + low_teeth).clamp(max=1.0)[:, None]
        rgb = cav * (1 - tw) + C["teeth_colour"] * teeth_shade[:, None] * tw
        return Warp(torch.stack([sx, sy], dim=-1), alpha[:, None], rgb)
