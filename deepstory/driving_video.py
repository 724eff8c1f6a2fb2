"""Driving videos: checking and reading one (any size, length and frame rate), following the driver's face
with one stable square crop (the job of the original first-order-model's crop-video.py), and writing the
result with the driver's audio.

Frames stream: the video is decoded once to track the face and once to animate; nothing holds all frames.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from modules.facecrop import Crop, square_around

from .cache import atomic_write
from .errors import DeepstoryError, OutputError

MAX_TRACK_SIDE = 640          # the face mesh runs on frames scaled down to this (it is as sure, and faster)


class DrivingVideoError(DeepstoryError):
    """A driving video is missing, unreadable, empty, or shows no face."""


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int
    height: int
    fps: Fraction             # average frame rate, exact (30000/1001 for NTSC 29.97)
    frames: int               # video packets (frames) in the file
    has_audio: bool


def open_video(path: Path) -> VideoInfo:
    """Facts of a driving video, or one clear DrivingVideoError."""
    import av
    if not path.is_file():
        raise DrivingVideoError(f"driving video not found: {path}")
    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise DrivingVideoError(f"{path} has no video stream; give a video of a face to follow")
            v = c.streams.video[0]
            rate = v.average_rate or v.guessed_rate or v.base_rate
            frames = sum(1 for pkt in c.demux(v) if pkt.size)
            info = VideoInfo(path, v.width, v.height, Fraction(rate) if rate else Fraction(25),
                             frames, bool(c.streams.audio))
    except DrivingVideoError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise DrivingVideoError(f"cannot read the driving video {path}: {exc}") from None
    if info.frames == 0 or not info.width or not info.height:
        raise DrivingVideoError(f"the driving video {path} has no frames")
    return info


def read_video_frames(path: Path) -> Iterator[np.ndarray]:
    """RGB uint8 frames of the video, one at a time; a broken file is one DrivingVideoError."""
    import av
    try:
        with av.open(str(path)) as c:
            for frame in c.decode(video=0):
                yield frame.to_ndarray(format="rgb24")
    except av.error.FFmpegError as exc:
        raise DrivingVideoError(f"cannot decode the driving video {path}: {exc}") from None


def frame_at(path: Path, index: int) -> np.ndarray:
    """Frame `index` of the video (decoded from the start: exact for every codec)."""
    for i, frame in enumerate(read_video_frames(path)):
        if i == index:
            return frame
    raise DrivingVideoError(f"the driving video {path} has no frame {index}")


# -- following the face ---------------------------------------------------------------------------------
@dataclass
class Track:
    """What one pass of the face mesh over the driver found."""
    boxes: list[tuple[float, float, float, float] | None]     # face box per frame; None where none was found
    meshes: list[np.ndarray | None]                           # landmarks per frame, when asked for

    @property
    def found(self) -> int:
        return sum(b is not None for b in self.boxes)


def track_faces(frames: Iterator[np.ndarray], *, keep_meshes: bool = False,
                progress: Callable[[Iterator], Iterator] | None = None) -> Track:
    """Face mesh on every frame, frames scaled to at most MAX_TRACK_SIDE. Tracking mode (fast, steady)
    for boxes alone; each frame on its own when the meshes are kept for ranking poses (find-best-frame),
    as the original detects each frame afresh."""
    from modules import landmarks
    from .engines.resize import resize_rgb
    boxes: list = []
    meshes: list = []
    it = progress(frames) if progress else frames
    for frame in it:
        h, w = frame.shape[:2]
        scale = min(1.0, MAX_TRACK_SIDE / max(h, w))
        small = frame if scale == 1.0 else resize_rgb(frame, (max(1, round(w * scale)), max(1, round(h * scale))))
        mesh = landmarks.detect(np.ascontiguousarray(small), video=not keep_meshes)
        if mesh is not None:
            mesh = mesh / np.array([small.shape[1] / w, small.shape[0] / h], np.float32)
        boxes.append(landmarks.face_box(mesh) if mesh is not None else None)
        meshes.append(mesh if keep_meshes else None)
    return Track(boxes, meshes)


def stable_crop(track: Track, size: tuple[int, int], crop_scale: float = 1.8, window: int = 9) -> Crop:
    """One square crop for the whole video that holds the driver's face in every frame.

    Per-frame boxes are filled in where the mesh missed and median-filtered over `window` frames (one
    bad detection cannot move the crop); the crop is `crop_scale` times the typical face size (as the
    portrait's crop, so source and driver are framed alike), grown to cover every smoothed box.
    """
    boxes = np.array([b if b is not None else (np.nan,) * 4 for b in track.boxes], np.float64)
    ok = ~np.isnan(boxes[:, 0])
    if not ok.any():
        raise DrivingVideoError("no face found in the driving video; the fom animator follows the driver's "
                                "face (or use --crop none to animate the whole frame)")
    idx = np.arange(len(boxes))
    for k in range(4):               # fill misses from the nearest found frames
        boxes[:, k] = np.interp(idx, idx[ok], boxes[ok, k])
    half = window // 2
    padded = np.pad(boxes, ((half, half), (0, 0)), mode="edge")
    smooth = np.stack([np.median(padded[i:i + window], axis=0) for i in range(len(boxes))])
    sides = np.maximum(smooth[:, 2] - smooth[:, 0], smooth[:, 3] - smooth[:, 1])
    x0, y0 = smooth[:, 0].min(), smooth[:, 1].min()
    x1, y1 = smooth[:, 2].max(), smooth[:, 3].max()
    typical = float(np.median(sides))
    # A square of crop_scale x the typical face, centred on the union of boxes, big enough for all of it.
    need = max(typical * crop_scale, max(x1 - x0, y1 - y0) * 1.1)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return square_around((cx - need / 2, cy - need / 2, cx + need / 2, cy + need / 2), size, 1.0)


# -- writing ---------------------------------------------------------------------------------------------
def mux_audio_from(clip: Path, audio_source: Path | None, out_path: Path) -> None:
    """`clip`'s video packets copied as they are, plus the audio of `audio_source` (if it has any)
    encoded as AAC at its own rate; moov atom first (faststart). Written atomically."""
    import av

    def write(tmp: Path) -> None:
        with av.open(str(clip)) as vin_c, av.open(str(tmp), "w", format="mp4",
                                                   options={"movflags": "+faststart"}) as out:
            vin = vin_c.streams.video[0]
            vout = out.add_stream_from_template(vin)
            ain_c = av.open(str(audio_source)) if audio_source is not None else None
            try:
                ain = ain_c.streams.audio[0] if ain_c is not None and ain_c.streams.audio else None
                aout = resampler = None
                if ain is not None:
                    layout = "mono" if ain.codec_context.channels == 1 else "stereo"
                    rate = ain.codec_context.sample_rate or 48000
                    aout = out.add_stream("aac", rate=rate, layout=layout)
                    aout.bit_rate = 128_000
                    resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
                for pkt in vin_c.demux(vin):
                    if pkt.dts is None:
                        continue
                    pkt.stream = vout
                    out.mux(pkt)
                if ain is not None:
                    samples = 0
                    for frame in ain_c.decode(ain):
                        for f in resampler.resample(frame):
                            f.pts, f.time_base = samples, Fraction(1, aout.codec_context.sample_rate)
                            samples += f.samples
                            out.mux(aout.encode(f))
                    for f in resampler.resample(None):
                        f.pts, f.time_base = samples, Fraction(1, aout.codec_context.sample_rate)
                        samples += f.samples
                        out.mux(aout.encode(f))
                    out.mux(aout.encode(None))
            finally:
                if ain_c is not None:
                    ain_c.close()

    try:
        atomic_write(out_path, write)
    except PermissionError as exc:
        raise OutputError(f"cannot write {out_path}: {exc.strerror}; choose another folder with -o") from None
