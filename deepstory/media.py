"""Video files: per-clip H.264 encoding (deepstory/clip_encoder.py), story assembly (stream-copied video +
AAC), probing.

Frames stream through: a clip is encoded as its frames arrive, and the story is assembled by copying
each clip's compressed packets (no re-encode) next to the audio encoded clip by clip, so memory does
not grow with story length.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .cache import atomic_write
from .errors import OutputError
from .clip_encoder import encode_clip, encoder_id  # noqa: F401  (the clip writer lives there)

def read_frames(path: Path) -> Iterator[np.ndarray]:
    """Decode a video's frames as RGB uint8 arrays, one at a time."""
    import av
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def video_size(path: Path) -> tuple[int, int]:
    """(width, height) of a video file's first video stream, from its header."""
    import av
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return s.width, s.height


def assemble(clips: list[Path], audio_chunks: Iterable[np.ndarray], out_path: Path, *, fps: int,
             sample_rate: int) -> None:
    """Join clip videos (same size/codec) and the story audio (one float32 mono chunk per clip) into a
    browser-ready MP4: H.264 yuv420p copied as is, AAC audio, moov atom first (faststart)."""
    import av
    if not clips:
        raise OutputError("nothing to assemble")

    def write(tmp: Path) -> None:
        with av.open(str(clips[0])) as first:
            template = first.streams.video[0]
            with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
                vout = out.add_stream_from_template(template)
                aout = out.add_stream("aac", rate=sample_rate, layout="mono")
                aout.bit_rate = 96_000
                frame_offset = 0
                sample_pts = 0
                chunks = iter(audio_chunks)
                for clip in clips:
                    with av.open(str(clip)) as c:
                        vin = c.streams.video[0]
                        if (vin.width, vin.height) != (template.width, template.height) or \
                                bytes(vin.codec_context.extradata or b"") != bytes(template.codec_context.extradata or b""):
                            raise OutputError(f"clip {clip.name} was encoded differently from the first clip; "
                                              f"delete the cache folder {clip.parents[2]} and render again")
                        n = 0
                        for pkt in c.demux(vin):
                            if pkt.dts is None:
                                continue
                            shift = int(Fraction(frame_offset, fps) / pkt.time_base)
                            pkt.pts += shift
                            pkt.dts += shift
                            pkt.stream = vout
                            out.mux(pkt)
                            n += 1
                    frame_offset += n
                    audio = next(chunks)
                    af = av.AudioFrame.from_ndarray(audio.reshape(1, -1).astype(np.float32), format="flt",
                                                    layout="mono")
                    af.sample_rate = sample_rate
                    af.pts = sample_pts
                    af.time_base = Fraction(1, sample_rate)
                    sample_pts += audio.shape[0]
                    out.mux(aout.encode(af))
                out.mux(aout.encode(None))

    try:
        atomic_write(out_path, write)
    except PermissionError as exc:
        raise OutputError(f"cannot write {out_path}: {exc.strerror}; choose another folder with -o") from None


@dataclass(frozen=True)
class Probe:
    video_codec: str | None
    audio_codec: str | None
    width: int
    height: int
    pix_fmt: str | None
    frames: int
    fps: float
    video_seconds: float
    audio_seconds: float
    audio_rate: int


def probe(path: Path, *, count_frames: bool = True) -> Probe:
    """Stream facts of a media file; frames and durations come from decoding, not the header."""
    import av
    with av.open(str(path)) as c:
        v = c.streams.video[0] if c.streams.video else None
        a = c.streams.audio[0] if c.streams.audio else None
        frames, last_end = 0, 0.0
        if v is not None and count_frames:
            for pkt in c.demux(v):
                if pkt.pts is None:
                    continue
                frames += 1
                last_end = max(last_end, float((pkt.pts + (pkt.duration or 0)) * pkt.time_base))
        start = float(v.start_time * v.time_base) if v is not None and v.start_time is not None else 0.0
        # The track duration honours the edit list that hides AAC priming/padding, as players do.
        audio_seconds = float(a.duration * a.time_base) if a is not None and a.duration else 0.0
        return Probe(v.codec_context.name if v else None, a.codec_context.name if a else None,
                     v.width if v else 0, v.height if v else 0, v.format.name if v else None, frames,
                     float(v.average_rate) if v and v.average_rate else 0.0, last_end - start, audio_seconds,
                     a.rate if a else 0)


def write_poster(video: Path, path: Path, at_seconds: float = 1.0, width: int = 320) -> Path:
    """A small JPEG of the video's frame at `at_seconds` (its last frame if shorter): a render's thumbnail."""
    import cv2
    chosen = None
    with_fps = probe(video, count_frames=False)
    stop = int(at_seconds * float(with_fps.fps or 25))
    for i, frame in enumerate(read_frames(video)):
        chosen = frame
        if i >= stop:
            break
    if chosen is None:
        raise OutputError(f"{video} has no frames")
    h, w = chosen.shape[:2]
    small = cv2.resize(chosen, (width, max(2, round(h * width / w))), interpolation=cv2.INTER_AREA)
    ok, jpg = cv2.imencode(".jpg", np.ascontiguousarray(small[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise OutputError(f"cannot make a thumbnail of {video}")
    return atomic_write(path, lambda tmp: tmp.write_bytes(jpg.tobytes()))
