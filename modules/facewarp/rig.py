"""Face geometry and colours measured once per portrait from its face-mesh landmarks.

Everything is expressed in a local frame per feature so the warp can be written as simple 1-D profiles:
the mouth frame has its origin between the mouth corners, `a` along the corners and `b` towards the chin,
both in units of half the mouth width; each eye has the same kind of frame in half eye widths. Lip and lid
contours are stored as polynomials b(a).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# face-mesh indices (MediaPipe 478-point topology)
LIP_INNER_UP = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
LIP_INNER_LO = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308]
LIP_OUTER_UP = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291]
LIP_OUTER_LO = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291]
EYE_A = ([33, 246, 161, 160, 159, 158, 157, 173, 133], [33, 7, 163, 144, 145, 153, 154, 155, 133])
EYE_B = ([263, 466, 388, 387, 386, 385, 384, 398, 362], [263, 249, 390, 373, 374, 380, 381, 382, 362])
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
MOUTH_L, MOUTH_R, NOSE_BASE, CHIN, FOREHEAD = 61, 291, 2, 152, 10
JAW_L, JAW_R = 172, 397
CHEEKS = [50, 280, 101, 330]
# the skin above each upper lid: the ring just above the lid line and the next one up (towards the brow)
LID_SKIN = (([247, 30, 29, 27, 28, 56, 190], [113, 225, 224, 223, 222, 221, 189]),
            ([467, 260, 259, 257, 258, 286, 414], [342, 445, 444, 443, 442, 441, 413]))
POLY_DEG = 4


@dataclass(frozen=True)
class Frame2D:
    """A local frame: origin, unit axis along the feature, unit normal (towards the chin), scale in px."""
    origin: np.ndarray
    axis: np.ndarray
    normal: np.ndarray
    scale: float

    def to_local(self, pts: np.ndarray) -> np.ndarray:
        d = np.asarray(pts, np.float64) - self.origin
        return np.stack([d @ self.axis, d @ self.normal], axis=-1) / self.scale


@dataclass(frozen=True)
class EyeRig:
    frame: Frame2D
    upper: np.ndarray      # poly coefficients of the upper lid b(a), highest power first
    lower: np.ndarray


@dataclass(frozen=True)
class FaceRig:
    mouth: Frame2D
    lip_upper: np.ndarray  # inner upper lip b(a)
    lip_lower: np.ndarray  # inner lower lip b(a)
    inner_extent: float    # |a| of the inner lip corners
    nose_b: float          # nose base, in mouth units (negative: above the mouth)
    chin_b: float
    jaw_extent: float      # |a| where the jaw's sides are
    eyes: tuple[EyeRig, EyeRig]
    face_height: float     # px, forehead to chin
    hull_centre: np.ndarray
    hull_radius: np.ndarray  # (360,) px: distance from the centre to the hull edge per degree
    pivot: np.ndarray      # head rotation centre (neck), px
    lip_colour: np.ndarray     # RGB 0..1
    teeth_colour: np.ndarray
    cavity_colour: np.ndarray
    tongue_colour: np.ndarray
    grain: float = 0.0     # the skin's fine noise (std of its high-pass, 0..1 colour units), matched inside the mouth
    # the upper lids' skin (RGB 0..1: a closed lid's colour) and the lash line along them
    lid_colour: np.ndarray = field(default_factory=lambda: np.array([0.7, 0.55, 0.48]))
    lash_colour: np.ndarray = field(default_factory=lambda: np.array([0.2, 0.15, 0.13]))
    own_teeth: bool = False  # the portrait shows its own teeth: an opening shows those pixels, not painted ones


def _frame(left: np.ndarray, right: np.ndarray, down_hint: np.ndarray) -> Frame2D:
    axis = right - left
    scale = float(np.linalg.norm(axis)) / 2
    axis = axis / max(2 * scale, 1e-6)
    normal = np.array([-axis[1], axis[0]])
    if normal @ down_hint < 0:
        normal = -normal
    return Frame2D((left + right) / 2, axis, normal, max(scale, 1e-3))


def _fit(frame: Frame2D, pts: np.ndarray) -> np.ndarray:
    loc = frame.to_local(pts)
    deg = min(POLY_DEG, len(loc) - 1)
    return np.polyfit(loc[:, 0], loc[:, 1], deg)


def _hull_radius(points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Distance from `centre` to the convex hull of `points`, for each whole degree."""
    import cv2
    hull = cv2.convexHull(points.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    ang = np.deg2rad(np.arange(360))
    dirs = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    radius = np.full(360, np.inf)
    for i in range(len(hull)):
        p, q = hull[i] - centre, hull[(i + 1) % len(hull)] - centre
        e = q - p
        # solve t*dir = p + s*e for t>0, 0<=s<=1
        den = dirs[:, 0] * (-e[1]) - dirs[:, 1] * (-e[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (p[0] * (-e[1]) - p[1] * (-e[0])) / den
            s = (dirs[:, 0] * p[1] - dirs[:, 1] * p[0]) / den
        ok = (np.abs(den) > 1e-9) & (t > 0) & (s >= -1e-9) & (s <= 1 + 1e-9)
        radius = np.where(ok, np.minimum(radius, t), radius)
    radius[~np.isfinite(radius)] = np.median(radius[np.isfinite(radius)])
    return radius


def _polygon_pixels(image: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    import cv2
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    return image[mask.astype(bool)].astype(np.float64) / 255.0


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114])


def _colours(image: np.ndarray, mesh: np.ndarray, rig_mouth: Frame2D, gap_px: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    lips = np.concatenate([_polygon_pixels(image, np.concatenate([mesh[LIP_OUTER_UP], mesh[LIP_INNER_UP][::-1]])),
                           _polygon_pixels(image, np.concatenate([mesh[LIP_OUTER_LO], mesh[LIP_INNER_LO][::-1]]))])
    lip = np.median(lips, axis=0) if len(lips) else np.array([0.6, 0.35, 0.35])
    skin_pts = []
    r = max(2, int(rig_mouth.scale * 0.25))
    for i in CHEEKS:
        x, y = np.round(mesh[i]).astype(int)
        patch = image[max(y - r, 0):y + r, max(x - r, 0):x + r]
        if patch.size:
            skin_pts.append(patch.reshape(-1, 3).astype(np.float64) / 255.0)
    skin = np.median(np.concatenate(skin_pts), axis=0) if skin_pts else lip
    teeth, own = None, False
    if gap_px > 2.5:
        # the portrait shows its own teeth: use their colour if it is really a bright, unsaturated one
        inner = _polygon_pixels(image, np.concatenate([mesh[LIP_INNER_UP], mesh[LIP_INNER_LO][::-1]]))
        if len(inner) >= 8:
            bright = inner[_luma(inner) >= np.percentile(_luma(inner), 60)]
            cand = np.median(bright, axis=0)
            if _luma(cand) > _luma(skin) * 0.9 and cand.max() - cand.min() < 0.18:
                teeth, own = cand, True
    if teeth is None:
        # off-white, warmer than neutral and a little darker than the lit skin (teeth sit in the
        # lip's shadow); tinted by the skin so it takes the portrait's light colour
        level = float(np.clip(_luma(skin) * 1.0 + 0.1, 0.45, 0.85))
        teeth = np.clip(0.75 * level * np.array([1.0, 0.96, 0.86]) + 0.25 * skin * level / max(_luma(skin), 1e-3),
                        0, 1)
    # a dark, warm cavity and a tongue of the lips' hue, as bright as the portrait's light allows
    cavity = np.clip(lip * 0.22 + np.array([0.015, 0.0, 0.0]), 0, 1)
    tongue = np.clip(0.6 * lip + 0.4 * np.array([0.78, 0.42, 0.42]) * _luma(lip) / 0.45, 0, 1) * 0.8
    return lip, teeth, cavity, tongue, skin, own


def _lid_colours(image: np.ndarray, mesh: np.ndarray, skin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The skin above the upper lids (median, pulled a little towards the cheek skin: glasses' rims or make-up
    there must not colour a closed lid) and the lash line (the darker part of the upper lid line)."""
    lids, lash = [], []
    for (ring, upper), (lid_line, _) in zip(LID_SKIN, (EYE_A, EYE_B)):
        lids.append(_polygon_pixels(image, np.concatenate([mesh[ring], mesh[upper][::-1]])))
        line = np.round(mesh[lid_line]).astype(int)
        h, w = image.shape[:2]
        pts = image[np.clip(line[:, 1], 0, h - 1), np.clip(line[:, 0], 0, w - 1)].astype(np.float64) / 255
        lash.append(pts)
    lid_px = np.concatenate(lids)
    lid = np.median(lid_px, axis=0) if len(lid_px) else skin
    lid = 0.6 * lid + 0.4 * skin * 0.93
    lash_px = np.concatenate(lash)
    dark = lash_px[_luma(lash_px) <= np.percentile(_luma(lash_px), 40)]
    lash_c = np.median(dark, axis=0) if len(dark) else lid * 0.35
    lash_c = np.minimum(lash_c, lid * 0.55)            # a lash line is always darker than the lid
    return lid, lash_c


def _grain(image: np.ndarray, mesh: np.ndarray, radius: int) -> float:
    """The skin's fine noise: the std of the difference to a 3x3-blurred copy over the cheek patches."""
    import cv2
    vals = []
    for i in CHEEKS:
        x, y = np.round(mesh[i]).astype(int)
        patch = image[max(y - radius, 0):y + radius, max(x - radius, 0):x + radius].astype(np.float64) / 255
        if patch.shape[0] >= 4 and patch.shape[1] >= 4:
            vals.append(float(np.std(patch - cv2.blur(patch, (3, 3)))))
    return float(np.median(vals)) if vals else 0.0


def build_rig(image: np.ndarray, mesh: np.ndarray) -> FaceRig:
    """Measure the rig from an HxWx3 uint8 image and its (478, 2) face-mesh points (same pixel frame)."""
    mesh = np.asarray(mesh, np.float64)
    chin, forehead = mesh[CHIN], mesh[FOREHEAD]
    down = chin - forehead
    face_h = float(np.linalg.norm(down))
    mouth = _frame(mesh[MOUTH_L], mesh[MOUTH_R], down)
    up_loc = mouth.to_local(mesh[LIP_INNER_UP])
    inner_extent = float(np.clip(np.mean(np.abs(up_loc[[0, -1], 0])), 0.5, 1.0))
    lip_up = _fit(mouth, mesh[LIP_INNER_UP])
    lip_lo = _fit(mouth, mesh[LIP_INNER_LO])
    eyes = []
    for upper, lower in (EYE_A, EYE_B):
        f = _frame(mesh[upper[0]], mesh[upper[-1]], down)
        eyes.append(EyeRig(f, _fit(f, mesh[upper]), _fit(f, mesh[lower])))
    jaw = mouth.to_local(mesh[[JAW_L, JAW_R]])
    centre = mesh[FACE_OVAL].mean(axis=0)
    gap_px = float(np.linalg.norm(mesh[14] - mesh[13]))
    lip, teeth, cavity, tongue, skin, own_teeth = _colours(image, mesh, mouth, gap_px)
    lid, lash = _lid_colours(image, mesh, skin)
    return FaceRig(
        mouth=mouth, lip_upper=lip_up, lip_lower=lip_lo, inner_extent=inner_extent,
        nose_b=float(mouth.to_local(mesh[NOSE_BASE][None])[0, 1]),
        chin_b=float(mouth.to_local(chin[None])[0, 1]),
        jaw_extent=float(max(np.abs(jaw[:, 0]).mean(), 1.3)),
        eyes=(eyes[0], eyes[1]), face_height=face_h,
        hull_centre=centre, hull_radius=_hull_radius(mesh, centre),
        pivot=chin + down / max(face_h, 1e-6) * 0.35 * face_h,
        lip_colour=lip, teeth_colour=teeth, cavity_colour=cavity, tongue_colour=tongue,
        grain=_grain(image, mesh, max(2, int(mouth.scale * 0.25))), lid_colour=lid, lash_colour=lash,
        own_teeth=own_teeth)
