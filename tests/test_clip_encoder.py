"""The clip writer (deepstory/clip_encoder.py): x264 on a worker thread writes the bytes of a plain serial
encode; a second clip framed from the first one's decoded pictures is the clip a later frame pass makes
from the file; a failure on either side raises once and leaves no clip and no thread behind."""
from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from deepstory.clip_encoder import ENCODER, ClipOutput, encode_clip, write_clips
from deepstory.media import read_frames

SIZE = (96, 64)          # (w, h)
FRAMED = (64, 36)


def _frames(n: int = 40) -> list[np.ndarray]:
    """A moving, textured picture (so x264 has real motion and detail to code)."""
    rng = np.random.default_rng(3)
    texture = rng.integers(0, 256, (SIZE[1] * 2, SIZE[0] * 2, 3), dtype=np.uint8)
    texture = cv2.GaussianBlur(texture, (0, 0), 1.5)
    return [np.ascontiguousarray(texture[i // 2:i // 2 + SIZE[1], i:i + SIZE[0]]) for i in range(n)]


def _serial(frames: list[np.ndarray], path: Path, fps: int = 25) -> bytes:
    """The reference: the same frames encoded in turn on this thread, straight through PyAV."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(ENCODER.crf), "preset": ENCODER.preset}
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(vf))
        out.mux(stream.encode(None))
    return path.read_bytes()


def _frame_it(frames):
    """A framing pass: crop to 16:9 and scale down (what a story's `fill` does)."""
    for f in frames:
        yield cv2.resize(f[10:10 + 54], FRAMED, interpolation=cv2.INTER_AREA)


def _x264_threads() -> int:
    return sum(t.name == "x264" for t in threading.enumerate())


def test_the_threaded_encoder_writes_the_bytes_of_a_serial_encode(tmp_path):
    frames = _frames()
    assert encode_clip(iter(frames), tmp_path / "threaded.mp4", 25, SIZE, expected=len(frames)) == len(frames)
    assert (tmp_path / "threaded.mp4").read_bytes() == _serial(frames, tmp_path / "serial.mp4")
    decoded = list(read_frames(tmp_path / "threaded.mp4"))
    assert len(decoded) == len(frames)
    err = lambda a, b: np.abs(a.astype(int) - b.astype(int)).mean()     # noqa: E731
    assert err(decoded[20], frames[20]) < 0.5 * err(decoded[20], frames[10])      # it is that picture, in order
    assert _x264_threads() == 0


def test_a_clip_framed_from_the_first_clips_pictures_is_the_clip_framed_later_from_the_file(tmp_path):
    frames = _frames()
    clip, framed, later = tmp_path / "clip.mp4", tmp_path / "framed.mp4", tmp_path / "later.mp4"
    n = write_clips(iter(frames), 25, ClipOutput(clip, SIZE), (ClipOutput(framed, FRAMED, _frame_it),), len(frames))
    assert n == len(frames)
    encode_clip(_frame_it(read_frames(clip)), later, 25, FRAMED, expected=len(frames))
    assert framed.read_bytes() == later.read_bytes()
    assert clip.read_bytes() == _serial(frames, tmp_path / "serial.mp4")
    # framing the rendered pictures instead would differ: the equality above is not a tautology
    encode_clip(_frame_it(iter(frames)), tmp_path / "raw.mp4", 25, FRAMED)
    assert (tmp_path / "raw.mp4").read_bytes() != later.read_bytes()


def _failing(frames, at: int):
    for i, f in enumerate(frames):
        if i == at:
            raise RuntimeError("renderer broke")
        yield f


@pytest.mark.parametrize("where", ["producer", "transform", "size"])
def test_a_failure_on_either_side_raises_once_and_leaves_no_clip(tmp_path, where):
    frames = _frames()
    dst = tmp_path / "out"
    dst.mkdir()
    before = _x264_threads()
    source = iter(frames) if where != "producer" else _failing(frames, 17)
    transform = {"producer": _frame_it, "transform": lambda fs: _failing(_frame_it(fs), 9),
                 "size": lambda fs: (cv2.resize(f, (50, 30)) for f in fs)}[where]
    expected = {"producer": "renderer broke", "transform": "renderer broke", "size": "expected 64x36"}[where]

    def write(tmp: Path) -> None:
        framed = ClipOutput(tmp.with_suffix(".framed.mp4"), FRAMED, transform)
        write_clips(source, 25, ClipOutput(tmp, SIZE), (framed,))
    from deepstory.cache import atomic_write
    with pytest.raises((RuntimeError, ValueError), match=expected):
        atomic_write(dst / "clip.mp4", write)
    assert not (dst / "clip.mp4").exists()
    assert _x264_threads() == before
