"""The inside of an open mouth, painted where the warped lips part: it must read as part of the photograph.

Everything is written in the mouth frame of `rig.py` (a along the corners, b towards the chin, both in half
mouth widths; `v` 0..1 from the upper to the lower inner lip). The layers, back to front:
- a dark, warm cavity, darkest at the back (the middle of the gap, the corners) and lit from the front
  (lighter just inside the lips);
- the tongue, rising from the lower lip only at wide openings, lighter at its front edge;
- upper teeth: an off-white band hanging from the upper lip, its height following the opening, its lower
  edge slightly uneven (one rounded edge per incisor, faint gaps between them), receding into shadow at
  the sides; lower teeth only at wide openings;
- the portrait's own grain on top, so the painted area is as noisy as the skin around it.
Every edge is at least about a pixel soft, and nothing has a vertical shine gradient (no "chrome bar").
"""
from __future__ import annotations

import torch

TEETH_MAX = 0.30        # most upper teeth ever shown, in half mouth widths (~8 mm of a 50 mm mouth)
TEETH_SHARE = 0.55      # share of the lip gap the upper teeth take while the gap is small
TEETH_FROM_PX = 2.5     # no teeth in a gap narrower than this (the band would be a bright seam)
LOWER_TEETH_FROM = 0.45  # lip gap (half mouth widths) from which the lower teeth show
TONGUE_FROM = 0.28      # lip gap from which the tongue shows ...
TONGUE_FULL = 0.70      # ... fully
# incisor edges across the mouth, as fractions of the inner lip extent: centrals, laterals, canines
TOOTH_EDGES = (0.0, 0.23, 0.43, 0.62)


def _smoothstep(x: torch.Tensor) -> torch.Tensor:
    x = x.clamp(0.0, 1.0)
    return x * x * (3 - 2 * x)


def _tooth_phase(lat: torch.Tensor) -> torch.Tensor:
    """Distance (in units of TOOTH_EDGES' steps) to the nearest gap between two teeth, 0 at a gap."""
    x = lat.abs()
    d = torch.full_like(x, 1.0)
    for e0, e1 in zip(TOOTH_EDGES[:-1], TOOTH_EDGES[1:]):
        half = (e1 - e0) / 2
        inside = (x >= e0) & (x < e1)
        d = torch.where(inside, 1 - ((x - e0 - half).abs() / half), d)
    return d.clamp(0, 1)     # 1 at a tooth's middle, 0 at the gaps


def paint(b: torch.Tensor, up1: torch.Tensor, lo1: torch.Tensor, a_src: torch.Tensor, w: float,
          inner_extent: float, colours: dict[str, torch.Tensor], grain: torch.Tensor,
          tuck: torch.Tensor | float = 0.0, tip: torch.Tensor | float = 0.0,
          own: torch.Tensor | float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(alpha (B, h, w), rgb (B, 3, h, w)) of the interior at mouth-frame points `b`, `a_src` between the
    inner lips `up1` .. `lo1` (all (B, h, w), mouth units; `w` px per unit). `colours`: cavity, tongue,
    teeth, lip (each (1, 3, 1, 1)); `grain` (h, w): the portrait's noise, to add on top. `tuck` (f/v: the
    upper teeth fill the gap down to the lower lip) and `tip` (the tongue tip up behind the upper teeth):
    (B, 1, 1) amounts 0..1; `own`: the height of the portrait's own teeth showing under the upper lip (mouth
    units; the caller lets them through), so the painted teeth and the tongue tip start below them."""
    span = (lo1 - up1).clamp(min=1e-6)
    gap_px = span * w
    px = 1.0 / w                                   # one pixel in mouth units
    lat = (a_src / inner_extent).clamp(-1.5, 1.5)
    lat2 = lat * lat
    # soft lip edges (a little over a pixel), nothing painted into a hairline gap
    alpha = _smoothstep((b - up1) / (1.2 * px) + 0.5) * _smoothstep((lo1 - b) / (1.2 * px) + 0.5)
    alpha = alpha * _smoothstep(gap_px / 2.0 - 0.25)

    C = colours
    # cavity: lit from the front (near either lip), dark at the back and into the corners
    d_edge = torch.minimum(b - up1, lo1 - b).clamp(min=0) * w          # px from the nearest lip
    front = torch.exp(-d_edge / (0.8 + 0.12 * gap_px))
    depth = (0.55 + 0.45 * front) * (1 - 0.45 * lat2.clamp(max=1.0))
    rgb = (C["cavity_colour"] * (1 - 0.5 * front[:, None]) + C["lip_colour"] * (0.25 * front[:, None])) \
        * depth[:, None]

    # tongue: its top a low arch rising with the opening, lighter towards the front (the lower lip)
    tshow = _smoothstep((span - TONGUE_FROM) / (TONGUE_FULL - TONGUE_FROM))
    top = lo1 - span * (0.08 + 0.3 * tshow) * (1 - 0.7 * lat2.clamp(max=1.0))
    tongue = tshow * _smoothstep((b - top) / (1.5 * px) + 0.5) * (1 - _smoothstep((lat.abs() - 0.75) / 0.3))
    tlight = 0.7 + 0.3 * ((b - top) / (lo1 - top).clamp(min=1e-6)).clamp(0, 1)
    rgb = rgb + (C["tongue_colour"] * tlight[:, None] - rgb) * tongue[:, None]

    # upper teeth from the upper lip down; visible height follows the gap; uneven lower edge
    show = torch.maximum(_smoothstep((gap_px - TEETH_FROM_PX) / 3.0), _smoothstep((gap_px - 1.0) / 1.5) * tuck)
    share = TEETH_SHARE + (1.0 - TEETH_SHARE) * tuck         # f/v: the teeth reach the tucked lower lip
    height = torch.maximum(torch.minimum(share * span, torch.full_like(span, TEETH_MAX)), own + 0 * span)
    phase = _tooth_phase(lat)
    edge = up1 + height * (0.88 + 0.12 * phase.sqrt()) * (1 - 0.35 * lat2.clamp(max=1.0))
    upper = _smoothstep((edge - b) / (1.2 * px) + 0.5) * show * (1 - _smoothstep((lat.abs() - 0.8) / 0.35))
    # faint gaps between teeth, the lip's shadow along the top, darker where they recede to the sides
    shade = (1 - 0.1 * (1 - _smoothstep(phase / 0.2))) \
        * (1 - 0.25 * torch.exp(-(b - up1).clamp(min=0) * w / 1.2)) \
        * (1 - 0.5 * lat2.clamp(max=1.0))
    rgb = rgb + (C["teeth_colour"] * shade[:, None] - rgb) * upper[:, None]

    # tongue tip (t d n l th): a rounded, lit tip just under the upper teeth, in the middle of the mouth
    below = (lo1 - edge).clamp(min=1e-6)
    ty = (b - edge) / (0.6 * below)
    tip = tip * (1 - _smoothstep((lat2 / 0.09 + (ty - 0.22) ** 2 / 0.1 - 1.0) / 0.4)) * \
        _smoothstep((b - edge) / (1.2 * px) + 0.5) * _smoothstep((gap_px - 2.0) / 2.0)
    rgb = rgb + (C["tongue_colour"] - rgb) * tip[:, None]

    # lower teeth: a thin, shadowed band on the lower lip at wide openings only
    lshow = _smoothstep((span - LOWER_TEETH_FROM) / 0.2)
    lheight = torch.minimum(0.1 * span, torch.full_like(span, 0.07))
    lower = lshow * _smoothstep((b - (lo1 - lheight)) / (1.2 * px) + 0.5) * \
        (1 - _smoothstep((lat.abs() - 0.4) / 0.25)) * 0.6
    low_rgb = 0.75 * C["teeth_colour"] + 0.25 * C["tongue_colour"]
    rgb = rgb + (low_rgb * 0.8 - rgb) * lower[:, None]

    rgb = (rgb + grain[None, None]).clamp(0, 1)
    return alpha, rgb


def grain_texture(shape: tuple[int, int], sigma: float, device: torch.device, dtype: torch.dtype
                  ) -> torch.Tensor:
    """A fixed (h, w) noise field with standard deviation `sigma` (0..1 colour units), lightly
    correlated like a photo's grain. Seeded: the same portrait always gets the same grain."""
    gen = torch.Generator().manual_seed(1234)
    n = torch.randn((1, 1) + tuple(shape), generator=gen, dtype=torch.float64)
    k = torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)
    n = torch.nn.functional.conv2d(n, k.view(1, 1, 1, 3), padding=(0, 1))
    n = torch.nn.functional.conv2d(n, k.view(1, 1, 3, 1), padding=(1, 0))
    n = n / n.std().clamp(min=1e-9) * sigma
    return n[0, 0].to(device, dtype)

