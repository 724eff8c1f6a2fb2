"""`animate --portrait IMG --driving VIDEO --animator builtin`: weights-free reenactment.

The driver's face is followed with the offline face mesh; its mouth, eyes and head pose become the
built-in animator's motion (modules/facewarp/reenact_tracks.py), relative to the driver's first (or
best-aligned) frame, and the portrait is rendered with it. Two passes over what is small: the driver's
frames are read once for their measures (a few numbers per frame are kept, never the frames), then the
portrait's frames stream into the encoder; the output keeps the driver's frame count, frame rate and
(unless told not to) its audio.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from modules import landmarks
from modules.facewarp import FaceWarpRenderer
from modules.facewarp.reenact_tracks import (Calibration, aligned, calibrate, expression_distance, fill_gaps,
                                             measures, probe_rows, tracks)

from .driving_video import DrivingVideoError, mux_audio_from, open_video, read_video_frames
from .engines.base import even_size_within
from .engines.resize import resize_rgb
from .errors import PortraitError
from .media import encode_clip
from .portraits import load_portrait

TRACK_SIDE = 640             # the driver's frames are measured at most this large (the mesh is as sure)
MIN_FACE_SHARE = 0.5         # the driver's face must be found in at least this share of its frames


def _detect_scaled(frame: np.ndarray) -> np.ndarray | None:
    h, w = frame.shape[:2]
    s = min(1.0, TRACK_SIDE / max(h, w))
    small = resize_rgb(frame, (max(2, round(w * s)), max(2, round(h * s)))) if s < 1 else frame
    mesh = landmarks.detect(np.ascontiguousarray(small), video=True)
    return None if mesh is None else mesh / s


def driver_measures(path: Path, portrait_mesh: np.ndarray, *, progress: bool = True
                    ) -> tuple[list[np.ndarray | None], list[float], dict[int, np.ndarray]]:
    """One pass over the driver: per frame its measures (None where no face was found) and how far its
    aligned landmarks are from the portrait's (inf without a face); plus the aligned meshes of the first
    face frame and of the closest one so far (all that is kept of the frames: memory flat in length)."""
    from tqdm import tqdm
    info = open_video(path)
    target = aligned(portrait_mesh)
    meas, dist, kept = [], [], {}
    for i, frame in enumerate(tqdm(read_video_frames(path), total=info.frames, desc="follow  ", unit="frame",
                                   disable=not progress, leave=False)):
        mesh = _detect_scaled(frame)
        meas.append(None if mesh is None else measures(mesh, (frame.shape[1], frame.shape[0])))
        if mesh is None:
            dist.append(float("inf"))
            continue
        a = aligned(mesh)
        dist.append(expression_distance(a, target))
        if "first" not in kept:
            kept["first"] = a
        if dist[-1] <= min(dist):
            kept["best"] = a
    return meas, dist, kept


def portrait_calibration(renderer: FaceWarpRenderer) -> Calibration:
    """How the animator's channels move the portrait's measures, read back from renders of it."""
    rows = probe_rows()
    probe = []
    for frame in renderer.render(rows, len(rows)):
        mesh = landmarks.detect(np.ascontiguousarray(frame))
        if mesh is None:
            raise PortraitError("the face mesh loses the portrait's face when it moves; use a clearer, more "
                                "frontal portrait")
        probe.append(measures(mesh, (frame.shape[1], frame.shape[0])))
    return calibrate(np.stack(probe))


def reenact_motion(renderer: FaceWarpRenderer, portrait_mesh: np.ndarray, driving_path: Path, *,
                   relative: bool = True, adapt_scale: bool = False, best_frame_index: int | None = None,
                   find_best: bool = False, progress: bool = True) -> tuple[np.ndarray, int]:
    """(motion rows for every driver frame, the driver frame the relative motion starts from)."""
    meas, dist, kept = driver_measures(driving_path, portrait_mesh, progress=progress)
    found = sum(m is not None for m in meas)
    if found == 0:
        raise DrivingVideoError(f"no face found in the driving video {driving_path}; the driver must show one "
                                f"clearly visible face")
    if found < MIN_FACE_SHARE * len(meas):
        raise DrivingVideoError(f"a face was found in only {found} of {len(meas)} frames of {driving_path}; "
                                f"crop the video around one face")
    if find_best:                 # the driver frame most like the portrait (FOM's --find_best_frame)
        ref_index = int(np.argmin(dist))
    else:
        ref_index = 0 if best_frame_index is None else int(best_frame_index)
        if not 0 <= ref_index < len(meas):
            raise DrivingVideoError(f"--best-frame {ref_index} is outside the driving video (0..{len(meas) - 1})")
    calibration = portrait_calibration(renderer)
    filled = fill_gaps(meas)
    reference = filled[ref_index] if relative else calibration.neutral
    scale = 1.0
    if adapt_scale:           # FOM's adapt_movement_scale: movement scaled by the faces' relative size
        driver = kept["best"] if find_best else kept["first"]
        scale = float(np.clip(_face_size(aligned(portrait_mesh)) / _face_size(driver), 0.5, 2.0))
    return tracks(filled, reference, calibration, scale=scale), ref_index


def _face_size(aligned_mesh: np.ndarray) -> float:
    """sqrt of the landmarks' box area, in eye distances (how long a face is for its eye spacing)."""
    lo, hi = aligned_mesh.min(axis=0), aligned_mesh.max(axis=0)
    return float(np.sqrt((hi - lo).prod()))


def reenact_video(portrait_path: Path, driving_path: Path, out_path: Path, *, relative: bool = True,
                  adapt_scale: bool = False, best_frame: int | None = None, find_best_frame: bool = False,
                  keep_audio: bool = True, max_side: int = 1024, progress: bool = True) -> Path:
    """The portrait moved like the driver, written to `out_path` (H.264, the driver's fps and frame count,
    its audio as AAC unless `keep_audio` is False)."""
    from tqdm import tqdm
    info = open_video(Path(driving_path))
    portrait = load_portrait(Path(portrait_path), label=str(portrait_path)).image
    h, w = portrait.shape[:2]
    size = even_size_within(w, h, max_side)
    image = resize_rgb(np.ascontiguousarray(portrait[..., :3]), size)
    mesh = landmarks.detect(image)
    if mesh is None:
        raise PortraitError(f"no face found in portrait {portrait_path}; use an image with a clearly visible face")
    renderer = FaceWarpRenderer(image, mesh)
    motion, _ = reenact_motion(renderer, mesh, Path(driving_path), relative=relative, adapt_scale=adapt_scale,
                               best_frame_index=best_frame, find_best=find_best_frame, progress=progress)
    out_path = Path(out_path)
    frames = tqdm(renderer.render(motion, len(motion)), total=len(motion), desc="animate ", unit="frame",
                  disable=not progress, leave=False)
    with tempfile.TemporaryDirectory(prefix="deepstory-reenact-", dir=out_path.parent) as tmp:
        silent = Path(tmp) / "video.mp4"
        encode_clip(frames, silent, info.fps, size, expected=len(motion))
        mux_audio_from(silent, Path(driving_path) if keep_audio and info.has_audio else None, out_path)
    return out_path
