"""`run_story.py animate --portrait IMG --driving VIDEO --animator fom`: the original first-order-model
`demo.py` job (one source image moved like a driving video), on the user's checkpoint.

Differences from demo.py, all on purpose:
- `crop="face"` (default): the driver's face is followed with one stable square crop (crop-video.py's
  job, deepstory.driving_video.stable_crop) and the portrait is cut around its face, animated and pasted
  back into the full-resolution image. `crop="none"` is demo.py's plain resize of both to the model size
  (area filter when shrinking instead of skimage's Gaussian anti-aliasing).
- `find_best_frame` ranks frames with the offline face mesh (not the downloaded face-alignment model),
  on the full portrait and full driver frames; the distance ignores position and scale.
- Frames stream in batches; the output keeps the driver's frame count and exact frame rate, H.264 + AAC.
"""
from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from modules.errors import NoFaceError

from .cache import sweep_stale_temp, temp_prefix
from .driving_video import (DrivingVideoError, VideoInfo, frame_at, mux_audio_from, open_video,
                            read_video_frames, stable_crop, track_faces)
from .errors import DeepstoryError, OutputError, PortraitError


@dataclass(frozen=True)
class DrivingSettings:
    relative: bool = False              # relative keypoint motion (demo.py --relative); off by default as there
    adapt_scale: bool = False           # scale motion by the face-size ratio (demo.py --adapt_scale)
    find_best_frame: bool = False       # start from the driver frame most like the portrait (--find_best_frame)
    best_frame: int | None = None       # or from this frame index (--best_frame N)
    crop: str = "face"                  # "face": follow the faces; "none": resize whole frames (demo.py)
    keep_audio: bool = True             # copy the driver's audio into the output


def _bar(progress: bool, total: int, desc: str):
    if not progress:
        return None
    from tqdm import tqdm
    return lambda it: tqdm(it, total=total, desc=desc, unit="frame")


@dataclass
class Driven:
    info: VideoInfo                     # the driver's facts (fps, frame count, audio)
    size: tuple[int, int]               # (w, h) of the output frames
    frames: Iterator[np.ndarray]        # lazy stream, one output frame per driver frame
    best_frame: int | None              # the driver frame the motion is taken relative to (None: the first)


def drive_portrait(engine, portrait: np.ndarray, driving: Path, settings: DrivingSettings, *,
                   label: str = "portrait", progress: bool = False) -> Driven:
    """`portrait` animated by the driving video with the FomEngine `engine` (loaded on use)."""
    from modules import landmarks
    from modules.fom import best_mesh_index
    from .engines.fom import fit_into
    from .engines.resize import resize_rgb

    if settings.crop not in ("face", "none"):
        raise DeepstoryError(f"crop must be 'face' or 'none', got {settings.crop!r}")
    info = open_video(driving)
    if settings.best_frame is not None and not 0 <= settings.best_frame < info.frames:
        raise DeepstoryError(f"--best-frame {settings.best_frame} is outside the driving video "
                             f"(frames 0 to {info.frames - 1})")
    animator = engine.animator()
    th, tw = animator.frame_hw
    need_best = settings.find_best_frame and settings.best_frame is None
    track = None
    if settings.crop == "face" or need_best:
        track = track_faces(read_video_frames(driving), keep_meshes=need_best,
                            progress=_bar(progress, info.frames, "track face"))
    if settings.crop == "face":
        try:
            session = engine.speaker(portrait, label=label)
        except NoFaceError:
            raise PortraitError(f"no face found in {label}; use an image with a clearly visible face "
                                "(or --crop none)") from None
        crop = stable_crop(track, (info.width, info.height), engine.crop_scale)

        def to_model(frame: np.ndarray) -> np.ndarray:
            return fit_into(crop.cut(frame), (th, tw))[0]
        size = session.output_size
    else:
        source = portrait if portrait.shape[:2] == (th, tw) else resize_rgb(portrait, (tw, th))

        def to_model(frame: np.ndarray) -> np.ndarray:
            return frame if frame.shape[:2] == (th, tw) else resize_rgb(frame, (tw, th))
        size = (tw, th)
    best = settings.best_frame
    if need_best:
        best = best_mesh_index(landmarks.detect(np.ascontiguousarray(portrait)), track.meshes)
    initial = to_model(frame_at(driving, best)) if best is not None else None
    frames = (to_model(f) for f in read_video_frames(driving))
    if settings.crop == "face":
        out = session.animate(frames, relative=settings.relative, adapt_movement_scale=settings.adapt_scale,
                              driving_initial=initial)
    else:
        out = animator.animate(np.ascontiguousarray(source), frames, relative=settings.relative,
                               adapt_movement_scale=settings.adapt_scale, driving_initial=initial,
                               batch_size=engine.batch_size or (8 if animator.device.type == "cuda" else 2))
    return Driven(info, size, out, best)


def animate_driving(portrait_path: Path, driving_path: Path, out_path: Path, settings: DrivingSettings, *,
                    engine, progress: bool = True) -> Path:
    """Write `out_path` (H.264 + AAC MP4): the portrait moved like the driving video; see the module doc.
    `engine` is an un-entered FomEngine (entered and closed here)."""
    from .media import encode_clip
    from .portraits import load_portrait
    if out_path.suffix.lower() != ".mp4":
        raise OutputError(f"output must be an .mp4 file, got {out_path}")
    portrait = load_portrait(portrait_path)
    open_video(driving_path)                     # a bad driver fails before the model loads
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {out_path.parent}: {exc.strerror}") from None
    sweep_stale_temp(out_path.parent)
    with engine:
        driven = drive_portrait(engine, portrait.image, driving_path, settings, label=portrait.label,
                                progress=progress)
        info, frames = driven.info, driven.frames
        if progress:
            from tqdm import tqdm
            frames = tqdm(frames, total=info.frames, desc="animate", unit="frame")
        with tempfile.TemporaryDirectory(dir=out_path.parent, prefix=temp_prefix(out_path.name),
                                         suffix=".part") as tmp:
            clip = Path(tmp) / "clip.mp4"
            count = encode_clip(frames, clip, info.fps, driven.size)
            if count == 0:
                raise DrivingVideoError(f"the driving video {driving_path} has no frames")
            mux_audio_from(clip, driving_path if settings.keep_audio and info.has_audio else None, out_path)
    if progress and settings.keep_audio and not info.has_audio:
        print("the driving video has no audio: the output is silent", file=sys.stderr)
    return out_path
