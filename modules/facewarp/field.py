"""The dense backward warp: for every output pixel of the face crop, where to sample the portrait.

Built from landmark-anchored local deformations, each a smooth 1-D profile in its feature's frame:
whole-head rigid motion (rotation about the neck, small shifts for yaw/pitch) fading out at the face hull;
the lower lip and jaw dropping, the upper lip lifting, the mouth corners spreading or pursing; upper lids
(the skin above each lid line mirrored down over the eye, shaded, with a lash line at its edge). The map is continuous: the gap between the parted lips samples the portrait's
own (stretched) lip seam, and the painter then covers it with the mouth interior.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .motion import BLINK, GAZE_X, GAZE_Y, OPEN, PITCH, PRESS, ROLL, ROUND, TONGUE, TUCK, WIDE, YAW
from . import interior
from .rig import FaceRig

MAX_GAP = 0.27          # inner-lip gap at open=1, as a fraction of face height (p90 opening 0.35-0.38 by dlib, real 0.42)
LOWER_SHARE = 0.8       # how much of an opening the lower lip/jaw takes (the rest lifts the upper lip)
HULL_FADE = (0.92, 1.17)  # motion fades from full to none between these multiples of the face hull
JAW_FADE = (1.0, 1.45)    # the same for the jaw's drop: the chin moves fully, the neck below it stretches
LIP_THICKNESS = 0.3     # a lip's red, in half mouth widths: how far from the seam pressing / tucking acts
PRESS_THIN = 1.4        # press = 1 samples lip pixels this much further from the seam: the red thins
TUCK_LIFT = 0.14        # f/v: the upper lip lifts this far (half mouth widths) off the upper teeth
OWN_TEETH_SHARE = 0.8   # a portrait showing its teeth: this share of its own lip gap shows its own pixels
GAZE_SHIFT = 0.24       # gaze 1: the iris moves this far across (half eye widths; half of it up/down)


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
    """One batch's backward map and mouth-interior layer.

    `source`: (B, side, side, 2) portrait pixel coordinates to sample for each crop pixel.
    `box`: (y0, y1, x0, x1) of the mouth region in crop pixels; `paint_alpha` (B, 1, h, w) and
    `paint_rgb` (B, 3, h, w) cover that box only."""
    source: torch.Tensor
    box: tuple[int, int, int, int]
    paint_alpha: torch.Tensor
    paint_rgb: torch.Tensor
    # the closing eyelids per eye box: [(box, cover, shade, lash alpha)], each (B, 1, h, w)
    lids: list = None


class WarpField:
    """Builds `Warp`s for a `side` x `side` crop whose top-left is (x0, y0) in the portrait.

    The rigid head motion is smooth, so it is computed on a coarse `res` x `res` grid and upsampled;
    the mouth and eyelid deformations are computed at full resolution, but only inside their own
    boxes (the lips' edges must stay sharp, and most of the crop never needs them)."""

    def __init__(self, rig: FaceRig, crop_origin: tuple[float, float], side: int, res: int,
                 device: torch.device, dtype: torch.dtype = torch.float32):
        self.rig, self.side, self.res, self.device, self.dtype = rig, side, res, device, dtype
        self.origin = crop_origin
        t = lambda v: torch.as_tensor(np.asarray(v, np.float64), dtype=dtype, device=device)  # noqa: E731
        self._t = t
        self.full_px, self.full_py = self._coords(side)
        self.full_active = self._active(self.full_px, self.full_py)
        self.lo_px, self.lo_py = self._coords(res)
        self.lo_active = self._active(self.lo_px, self.lo_py)
        self.jaw_active = self._active(self.full_px, self.full_py, JAW_FADE)
        m = rig.mouth
        self.m_origin, self.m_axis, self.m_normal = t(m.origin), t(m.axis), t(m.normal)
        self.m_scale = float(m.scale)
        self.lip_up, self.lip_lo = t(rig.lip_upper), t(rig.lip_lower)
        # the eye frames run outer -> inner corner: +1 where that is left to right in the picture (gaze signs)
        self.eye_across = [1.0 if e.frame.axis[0] >= 0 else -1.0 for e in rig.eyes]
        self.eyes = [(t(e.frame.origin), t(e.frame.axis), t(e.frame.normal), float(e.frame.scale),
                      t(e.upper), t(e.lower)) for e in rig.eyes]
        self.pivot = t(rig.pivot)
        self.colours = {k: t(getattr(rig, k)).view(1, 3, 1, 1)
                        for k in ("teeth_colour", "cavity_colour", "tongue_colour", "lip_colour", "lid_colour",
                                  "lash_colour")}
        self.colours["crease_colour"] = t(rig.lip_colour * 0.55).view(1, 3, 1, 1)
        # the boxes get a margin for the head's own motion (a few degrees about the neck), and never
        # reach past where the face may move at all
        margin = 0.12 * rig.face_height
        w = m.scale
        jaw = rig.jaw_extent + 0.3
        low = rig.chin_b + (MAX_GAP * 1.5 * rig.face_height + 0.25 * rig.face_height) / w + 0.3
        self.mouth_box = self._box(m, [(-jaw, rig.nose_b - 0.3), (jaw, rig.nose_b - 0.3),
                                       (-jaw, low), (jaw, low)], margin, self.jaw_active)
        # the parted lips (where the interior is painted) lie in a much smaller box
        a = np.linspace(-1, 1, 21)
        lip_top = float(np.polyval(rig.lip_upper, a).min())
        lip_bottom = float(np.polyval(rig.lip_lower, a).max())
        most = MAX_GAP * 1.5 * rig.face_height / w
        paint = self._box(m, [(-1.1, lip_top - 0.35 * most), (1.1, lip_top - 0.35 * most),
                              (-1.1, lip_bottom + 0.75 * most), (1.1, lip_bottom + 0.75 * most)],
                          margin)
        y0, y1, x0, x1 = self.mouth_box
        self.paint_box = (max(paint[0], y0), min(paint[1], y1), max(paint[2], x0), min(paint[3], x1))
        py0, py1, px0, px1 = self.paint_box
        self.grain = interior.grain_texture((py1 - py0, px1 - px0), rig.grain, device, dtype)
        self.eye_boxes = []
        for e in rig.eyes:
            a = np.linspace(-1, 1, 9)
            top = float(np.polyval(e.upper, a).min()) - 1.3
            bottom = float(np.polyval(e.lower, a).max()) + 0.3
            self.eye_boxes.append(self._box(e.frame, [(-1.5, top), (1.5, top), (-1.5, bottom),
                                                      (1.5, bottom)], margin))

    def _coords(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Portrait pixel coordinates of an n x n grid of cell centres spanning the crop."""
        coords = (torch.arange(n, dtype=torch.float64) + 0.5) * (self.side / n) - 0.5
        ys, xs = torch.meshgrid(coords, coords, indexing="ij")
        return ((xs + self.origin[0]).to(self.device, self.dtype),
                (ys + self.origin[1]).to(self.device, self.dtype))

    def _active(self, px: torch.Tensor, py: torch.Tensor, fade: tuple[float, float] = HULL_FADE
                ) -> torch.Tensor:
        """How much the face may move at each point: 1 inside the landmark hull, 0 beyond 1.17x of it."""
        rig = self.rig
        dx = px.double() - float(rig.hull_centre[0])
        dy = py.double() - float(rig.hull_centre[1])
        ang = torch.rad2deg(torch.atan2(dy, dx)) % 360
        i0 = ang.floor().long() % 360
        frac = ang - ang.floor()
        radius = torch.as_tensor(rig.hull_radius, dtype=torch.float64, device=px.device)
        r = radius[i0] * (1 - frac) + radius[(i0 + 1) % 360] * frac
        s = torch.sqrt(dx * dx + dy * dy) / r
        lo, hi = fade
        return (1 - _smoothstep((s - lo) / (hi - lo))).to(self.dtype)

    def _box(self, frame, local_pts, margin: float, active: torch.Tensor | None = None
             ) -> tuple[int, int, int, int]:
        pts = np.array([frame.origin + frame.scale * (a * frame.axis + b * frame.normal)
                        for a, b in local_pts])
        x0, y0 = pts.min(axis=0) - margin - np.array(self.origin)
        x1, y1 = pts.max(axis=0) + margin - np.array(self.origin)
        ys, xs = torch.nonzero((self.full_active if active is None else active) > 0, as_tuple=True)
        ay0, ay1 = int(ys.min()), int(ys.max()) + 1
        ax0, ax1 = int(xs.min()), int(xs.max()) + 1
        c = lambda v, lo, hi: int(np.clip(v, lo, hi))  # noqa: E731
        return (c(np.floor(y0), ay0, ay1), c(np.ceil(y1), ay0, ay1),
                c(np.floor(x0), ax0, ax1), c(np.ceil(x1), ax0, ax1))

    def _head(self, p: torch.Tensor, px: torch.Tensor, py: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """Backward displacement of the rigid head motion (not yet faded at the hull)."""
        H = self.rig.face_height
        roll = torch.deg2rad(p[..., ROLL])
        tx = torch.sin(torch.deg2rad(p[..., YAW])) * 0.5 * H
        ty = torch.sin(torch.deg2rad(p[..., PITCH])) * 0.5 * H
        rx, ry = px - tx - self.pivot[0], py - ty - self.pivot[1]
        c, s = torch.cos(roll), torch.sin(roll)
        return self.pivot[0] + c * rx + s * ry - px, self.pivot[1] - s * rx + c * ry - py

    def build(self, motion: np.ndarray) -> Warp:
        """The warp for a batch of motion rows (B, channels)."""
        p = self._t(motion).view(-1, 1, 1, motion.shape[1])
        side = self.side
        hx, hy = self._head(p, self.lo_px[None], self.lo_py[None])
        head = torch.stack([hx, hy], dim=1) * self.lo_active[None, None]
        if self.res != side:
            head = F.interpolate(head, size=(side, side), mode="bilinear", align_corners=False)
        base = torch.stack([self.full_px, self.full_py], dim=0)[None]
        src = base + head                                         # (B, 2, side, side)
        # local deformations, each inside its box, in head-undone coordinates q
        y0, y1, x0, x1 = self.mouth_box
        q = src[:, :, y0:y1, x0:x1]
        py0, py1, px0, px1 = self.paint_box
        dx, dy, alpha, rgb = self._mouth(p, q[:, 0], q[:, 1], (py0 - y0, py1 - y0, px0 - x0, px1 - x0))
        act = self.jaw_active[y0:y1, x0:x1]
        delta = torch.stack([dx, dy], dim=1) * act
        alpha = alpha[:, None] * self.full_active[py0:py1, px0:px1]
        # most batches hold no blink (and some no gaze shift): the lids, or the eyes, are then left out
        blinking = bool((motion[:, BLINK] > 0).any())
        looking = blinking or bool((motion[:, [GAZE_X, GAZE_Y]] != 0).any())
        lids, eyes = [], []
        for box in self.eye_boxes if looking else ():
            ey0, ey1, ex0, ex1 = box
            qe = src[:, :, ey0:ey1, ex0:ex1]
            act = self.full_active[ey0:ey1, ex0:ex1]
            edx, edy, cover, shade, lash = self._eyes(p, qe[:, 0], qe[:, 1], blinking)
            eyes.append(torch.stack([edx, edy], dim=1) * act)
            if blinking:
                lids.append((box, (cover * act)[:, None], (1 - (1 - shade) * act)[:, None], (lash * act)[:, None]))
        src = src.clone()
        src[:, :, y0:y1, x0:x1] += delta
        for (ey0, ey1, ex0, ex1), d in zip(self.eye_boxes, eyes):
            src[:, :, ey0:ey1, ex0:ex1] += d
        return Warp(src.permute(0, 2, 3, 1), self.paint_box, alpha, rgb, lids)

    def _mouth(self, p: torch.Tensor, qx: torch.Tensor, qy: torch.Tensor, sub: tuple[int, int, int, int]):
        """Backward displacement of lips/jaw/corners at points q, plus the mouth-interior layer over
        the sub-box `sub` (y0, y1, x0, x1) of q's grid."""
        rig, w, H = self.rig, self.m_scale, self.rig.face_height
        col = lambda k: p[..., k]  # noqa: E731  (B, 1, 1)
        dxm, dym = qx - self.m_origin[0], qy - self.m_origin[1]
        a = (dxm * self.m_axis[0] + dym * self.m_axis[1]) / w
        b = (dxm * self.m_normal[0] + dym * self.m_normal[1]) / w
        # corners: spread (wide) or purse (round) around the mouth centre, fading above the nose / below chin
        k = 0.07 * col(WIDE) - 0.12 * col(ROUND)
        vwin = _smoothstep((b - rig.nose_b) / (0.0 - rig.nose_b)) * \
            (1 - _smoothstep((b - 0.5 * rig.chin_b) / (0.5 * rig.chin_b)))
        prof = a * torch.exp(-(a / 1.3) ** 4)
        a_src = a - k / (1 + k) * prof * vwin
        ai = rig.inner_extent
        ac = a_src.clamp(-ai, ai)
        up0, lo0 = _poly(self.lip_up, ac), _poly(self.lip_lo, ac)
        lens = (1 - (a_src / ai) ** 2).clamp(min=0.0) ** 0.6
        g0 = (lo0 - up0).clamp(min=0.0) * lens.clamp(max=1.0) ** 0.3
        opening = col(OPEN).clamp(0, 1.5) * (MAX_GAP * H / w)
        press, tuck = col(PRESS).clamp(0, 1), col(TUCK).clamp(0, 1)
        gap = opening * lens * (1 - 0.3 * col(ROUND))
        delta = gap - g0
        # f/v: the upper lip lifts off the upper teeth, the lower lip rides up to them instead of dropping
        d_lo = LOWER_SHARE * delta * (1 - 0.7 * tuck)
        d_up = (1 - LOWER_SHARE) * delta + TUCK_LIFT * tuck * lens
        up1, lo1 = up0 - d_up, lo0 + d_lo
        # below the lower lip the drop spreads from the lip's profile to the whole jaw by the chin
        d_jaw = LOWER_SHARE * opening
        chin1 = rig.chin_b + d_jaw
        t_low = _smoothstep((b - lo1) / (chin1 - lo1).clamp(min=1e-3))
        jawp = 1 - _smoothstep((a.abs() - 0.8) / (rig.jaw_extent - 0.8))
        below = 1 - _smoothstep((b - chin1) / (0.25 * H / w))
        f_low = (d_lo * (1 - t_low) + d_jaw * jawp * t_low) * below
        t_up = _smoothstep((up1 - b) / (up1 - rig.nose_b).clamp(min=1e-3))
        f_up = d_up * (1 - t_up)
        span = (lo1 - up1).clamp(min=1e-6)
        v = ((b - up1) / span).clamp(0, 1)
        # inside the parted lips sample the portrait's own lip seam, so the map stays continuous; a portrait
        # showing its own teeth keeps them hanging from the upper lip at their own size (not stretched)
        inner = (torch.minimum(up0 + (b - up1), lo0) if rig.own_teeth else up0 + v * (lo0 - up0))
        b_src = torch.where(b >= lo1, b - f_low, torch.where(b <= up1, b + f_up, inner))
        # pressed lips (m b p) roll their red in; a tucked lower lip (f v) too: sample further from the seam
        seam_b = (up1 + lo1) / 2
        k = PRESS_THIN * (press + 0.8 * tuck * (b > seam_b).to(b.dtype))
        x = (b - seam_b) / LIP_THICKNESS
        across = 1 - _smoothstep((a.abs() - 0.85) / 0.35)
        b_src = b_src + k * (b - seam_b) * torch.exp(-x * x) * across
        da, db = (a_src - a) * w, (b_src - b) * w
        dx = da * self.m_axis[0] + db * self.m_normal[0]
        dy = da * self.m_axis[1] + db * self.m_normal[1]

        # mouth interior where the lips part (modules/facewarp/interior.py)
        sy0, sy1, sx0, sx1 = sub
        b, up1, lo1, span, a_src = (x[..., sy0:sy1, sx0:sx1].expand(p.shape[0], -1, -1)
                                    for x in (b, up1, lo1, span, a_src))
        gap_px = span * w
        lat = (a_src / (0.72 * ai)).clamp(-1.5, 1.5)
        C = self.colours
        g0s = g0[..., sy0:sy1, sx0:sx1]
        own = OWN_TEETH_SHARE * g0s if rig.own_teeth else torch.zeros_like(g0s)
        alpha, rgb = interior.paint(b, up1, lo1, a_src, w, ai, C, self.grain, tuck=tuck,
                                    tip=col(TONGUE).clamp(0, 1), own=own)
        if rig.own_teeth:
            # the portrait's own teeth show through (the map samples them, above) over the band they filled
            alpha = alpha * (1 - _smoothstep((up1 + own - b) * w / 1.5 + 0.5) * (lat.abs() < 1.1).to(b.dtype))
        # lips pressed shut over a portrait's open mouth: draw the crease where they meet, so the
        # teeth squeezed out of the picture cannot show through as a bright seam
        seam = ((b - (up1 + lo1) / 2).abs() * w)
        crease = (1 - _smoothstep(seam / 1.3)) * _smoothstep(g0s * w / 2.0 - 0.25) * \
            (1 - _smoothstep(gap_px / 1.5)) * (lat.abs() < 1.35).to(seam.dtype)
        # pressed lips meet in a darker line
        pressed = 0.45 * press * (1 - _smoothstep(seam / 1.0)) * (1 - _smoothstep(gap_px / 1.5)) * \
            (lat.abs() < 1.2).to(seam.dtype)
        crease_a = torch.maximum(0.8 * crease, pressed)
        rgb = rgb * alpha[:, None] + C["crease_colour"] * (1 - alpha[:, None])
        alpha = torch.maximum(alpha, crease_a)
        return dx, dy, alpha, rgb

    def _eyes(self, p: torch.Tensor, qx: torch.Tensor, qy: torch.Tensor, blinking: bool = True):
        """The closing upper lids at points q: (dx, dy) backward displacement, where the lid covers the eye,
        a shading factor and the lash line's alpha (each (B, h, w)); with `blinking` False (no row blinks)
        only the gaze shift is computed (no cover, shade 1, no lash). The lid is the skin just above the lid line, mirrored down over the eye
        (continuous at its top, the portrait's own texture and colour, no stretched lashes), darkened as it
        curves in towards its edge, where the lash line is drawn."""
        blink = p[..., BLINK].clamp(0, 1)
        gx, gy = p[..., GAZE_X].clamp(-1, 1), p[..., GAZE_Y].clamp(-1, 1)
        dx = torch.zeros_like(qx + blink)
        dy = torch.zeros_like(dx)
        shade = torch.ones_like(dx)
        lash = torch.zeros_like(dx)
        covers = torch.zeros_like(dx)
        for (origin, axis, normal, scale, upc, loc), across in zip(self.eyes, self.eye_across):
            ex, ey = qx - origin[0], qy - origin[1]
            ea = (ex * axis[0] + ey * axis[1]) / scale
            eb = (ex * normal[0] + ey * normal[1]) / scale
            eac = ea.clamp(-1, 1)
            up, lo = _poly(upc, eac), _poly(loc, eac)
            lo = torch.maximum(lo, up + 1e-3)
            # gaze: the eye's contents (iris, pupil) shift inside the opening; lids and corners stay
            inside = ((eb - up) / (lo - up)).clamp(0, 1)
            look = torch.sin(np.pi * inside) * (1 - _smoothstep((ea.abs() - 0.45) / 0.45)) * scale
            deb = 0.0
            if blinking:
                px = 1.0 / scale                           # one pixel in eye units
                edge = up + blink * (lo - up + 1.0 * px)  # the lid's edge: from the lid line to just past the lower lid
                top = up - 0.10 - 2 * px                   # the lid layer starts here, above the open eye's lashes
                cover = _smoothstep((edge - eb) / (1.2 * px) + 0.5) * (eb >= top).to(eb.dtype)
                cover = cover * (1 - _smoothstep((ea.abs() - 0.92) / 0.18)) * _smoothstep(blink / 0.15)
                mirrored = top - (eb - top) * 0.55        # skin above `top`, mirrored and a little compressed
                deb = (mirrored - eb) * cover * scale
                look = look * (1 - cover)
            dea, deb = -GAZE_SHIFT * gx * across * look, deb - 0.5 * GAZE_SHIFT * gy * look
            dx = dx + dea * axis[0] + deb * normal[0]
            dy = dy + dea * axis[1] + deb * normal[1]
            if blinking:                                   # the lid darkens as it curves in; the lash line
                depth = ((eb - top) / (edge - top).clamp(min=1e-3)).clamp(0, 1)
                s = 1 - cover * (0.18 * depth ** 2 + 0.04 * eac * eac)
                lw = max(0.09, 1.5 * px)
                l_ = cover * (1 - _smoothstep((edge - eb) / lw)) * (1 - 0.5 * _smoothstep((ea.abs() - 0.7) / 0.3))
                shade = torch.minimum(shade, s)
                lash = torch.maximum(lash, l_)
                covers = torch.maximum(covers, cover)
        return dx, dy, covers, shade, lash
