"""Writing H.264 clips: frames are made in the caller's thread while x264 encodes on a worker thread.

An animator renders frame i+1 while frame i is being encoded, so the two overlap on a multi-core CPU (the
encoder is about half of a clip's time at 512 px); the bytes are those of encoding the frames in turn. One
stream of frames can feed more clips in the same pass (`write_clips`): the animate stage writes a speaker's
clip and the clip framed for the story, made from the first clip's packets decoded again (the pictures a
later frame pass would read back, so the bytes are the same), each encoded on its own thread.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .cache import atomic_write
from .settings import EncoderSettings

ENCODER = EncoderSettings()          # every clip must share these: the story is assembled by copying packets
QUEUE_FRAMES = 8                     # frames in flight per clip: enough to ride out uneven frame times


def encoder_id() -> str:
    """What decides a clip's H.264 parameter sets; part of the cache keys of encoded clips, because the
    story is assembled by copying clip packets and every clip must match the first one's stream setup."""
    import av
    return f"libx264/av{av.__version__}/crf{ENCODER.crf}/{ENCODER.preset}"


@dataclass(frozen=True)
class ClipOutput:
    """One clip made from a stream of frames."""
    path: Path                      # written in place: callers hand in a temp path they rename when done
    size: tuple[int, int]           # (w, h) of this clip's frames
    # the frames this clip makes of the pictures it gets (on the clip's own thread, in order); None: as they come
    transform: Callable[[Iterator[np.ndarray]], Iterator[np.ndarray]] | None = None


def encode_clip(frames: Iterable[np.ndarray], path: Path, fps: int | Fraction, size: tuple[int, int],
                expected: int | None = None) -> int:
    """Encode RGB uint8 frames of `size` (w, h) to an H.264 MP4 at `fps` (exact: 30000/1001 stays NTSC),
    atomically; returns the count."""
    count = 0

    def write(tmp: Path) -> None:
        nonlocal count
        count = write_clips(frames, fps, ClipOutput(tmp, size), expected=expected)

    atomic_write(path, write)
    return count


def write_clips(frames: Iterable[np.ndarray], fps: int | Fraction, clip: ClipOutput,
                derived: tuple[ClipOutput, ...] = (), expected: int | None = None) -> int:
    """Encode a stream of RGB uint8 frames (of clip.size) into `clip`, and each of `derived` from `clip`'s
    pictures as encoded and decoded again (exactly what reading `clip` back gives), each on its own thread;
    returns the stream's frame count. Every clip must get as many frames as the stream has."""
    import av
    fps = Fraction(fps)
    count = 0
    w, h = clip.size
    with ExitStack() as stack:          # exits in reverse: each encoder is flushed before its file closes
        encoders = []
        for out in (clip, *derived):
            container = stack.enter_context(av.open(str(out.path), "w", format="mp4"))
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height = out.size
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(ENCODER.crf), "preset": ENCODER.preset}
            encoders.append(stack.enter_context(_Encoder(container, stream, fps, out)))
        first = encoders[0]
        first.decoded_to = encoders[1:]
        for frame in frames:
            if frame.shape[1] != w or frame.shape[0] != h:
                raise ValueError(f"frame {count} is {frame.shape[1]}x{frame.shape[0]}, expected {w}x{h}")
            first.put(np.ascontiguousarray(frame))
            count += 1
        for encoder in encoders:
            encoder.finish(count)
    if expected is not None and count != expected:
        raise RuntimeError(f"clip has {count} frames, expected {expected}")
    return count


class _Encoder:
    """Encodes and muxes one clip's frames on a worker thread, in the order `put` hands them over. Leaving
    the context after `finish` flushes the clip; leaving it on an error stops the worker and drops what is
    queued. An error on the worker is raised in the producer's thread at its next `put` or `finish`."""

    def __init__(self, container, stream, fps: Fraction, output: ClipOutput):
        self._container, self._stream, self._fps, self._output = container, stream, fps, output
        self._queue: queue.Queue = queue.Queue(QUEUE_FRAMES)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._written = 0
        self.decoded_to: list[_Encoder] = []        # encoders fed with this clip's pictures decoded again
        self._decoder = None
        self._thread = threading.Thread(target=self._work, name="x264", daemon=True)

    def __enter__(self) -> "_Encoder":
        self._thread.start()
        return self

    def put(self, frame: np.ndarray | None) -> None:
        while True:
            self._raise_worker_error()
            if not self._thread.is_alive():
                return
            try:
                self._queue.put(frame, timeout=0.1)
                return
            except queue.Full:
                continue

    def finish(self, count: int) -> None:
        """The stream ended after `count` frames: wait for this clip to be written."""
        self.put(None)
        self._thread.join()
        self._raise_worker_error()
        if self._written != count:
            raise RuntimeError(f"{self._output.path.name} got {self._written} frames of {count}")

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._thread.is_alive():         # not finished: the producer failed, abandon the clip
            self._stop.set()
            try:
                self._queue.put_nowait(None)    # wakes a worker waiting for a frame
            except queue.Full:                  # a busy worker sees `_stop` after its current frame
                pass
            self._thread.join()

    def _raise_worker_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _incoming(self) -> Iterator[np.ndarray]:
        while not self._stop.is_set():
            frame = self._queue.get()
            if frame is None:
                return
            yield frame

    def _work(self) -> None:
        import av
        w, h = self._output.size
        try:
            frames = self._incoming()
            if self._output.transform is not None:
                frames = self._output.transform(frames)
            for frame in frames:
                if self._stop.is_set():
                    return
                if frame.shape[1] != w or frame.shape[0] != h:
                    raise ValueError(f"{self._output.path.name}: frame {self._written} is "
                                     f"{frame.shape[1]}x{frame.shape[0]}, expected {w}x{h}")
                vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
                vf.pts, vf.time_base = self._written, 1 / self._fps
                self._mux(self._stream.encode(vf))
                self._written += 1
            if not self._stop.is_set():
                self._mux(self._stream.encode(None))
                self._pass_on(None)
        except BaseException as exc:        # noqa: BLE001 — handed over to the producer's thread
            self._error = exc
            self._stop.set()

    def _mux(self, packets) -> None:
        """Write the packets, decoded first for `decoded_to` (muxing takes the packets over)."""
        for packet in packets:
            self._pass_on(packet)
        self._container.mux(packets)

    def _pass_on(self, packet) -> None:
        """Decode `packet` (None: the end) and hand its pictures to `decoded_to`."""
        if not self.decoded_to:
            return
        import av
        if self._decoder is None:
            self._decoder = av.CodecContext.create("h264", "r")
            self._decoder.extradata = self._stream.codec_context.extradata
            self._decoder.thread_count = 1
        for picture in self._decoder.decode(packet):
            rgb = picture.to_ndarray(format="rgb24")
            for encoder in self.decoded_to:
                encoder.put(rgb)
