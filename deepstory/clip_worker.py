"""What a worker process or Ray actor holds: the engines loaded once, the speakers' source-side work, and
the two clip stages as calls that take plain data (task, speech arrays, motion) and return plain data
(motion, the encoded clip's bytes), so nothing but those crosses between head and worker."""
from __future__ import annotations

import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .clip_stages import animate, drive
from .engines.base import SpeakerSession
from .tasks import ClipTask, Engines
from .voice_stage import clip_speech

SESSIONS_KEPT = 2       # speakers whose source-side work a worker keeps (clips come grouped by speaker)


class ClipWorker:
    def __init__(self, engines: Engines | None, portraits: dict[str, tuple[np.ndarray, str]], threads: int | None = None):
        """`portraits`: speaker -> (RGB image, label); `threads`: this worker's share of the CPU threads."""
        if threads:
            import torch
            torch.set_num_threads(max(1, int(threads)))
        self.engines = engines
        self.portraits = portraits
        self._driver = None
        self._animator = None
        self._sessions: OrderedDict[str, SpeakerSession] = OrderedDict()

    def ping(self) -> int:
        import os
        return os.getpid()

    def drive(self, task: ClipTask, speech: dict[str, np.ndarray]) -> np.ndarray:
        if self._driver is None:
            self._driver = self.engines.make_driver().__enter__()
        return drive(task, clip_speech(speech, task.fps, task.seed), self._driver)

    def _session(self, speaker: str) -> SpeakerSession:
        if speaker in self._sessions:
            self._sessions.move_to_end(speaker)
            return self._sessions[speaker]
        if self._animator is None:
            self._animator = self.engines.make_animator().__enter__()
        image, label = self.portraits[speaker]
        session = self._animator.open_speaker(image, label=label, speaker=speaker, no_face=self.engines.no_face)
        self._sessions[speaker] = session.__enter__()
        while len(self._sessions) > SESSIONS_KEPT:
            self._sessions.popitem(last=False)[1].__exit__(None, None, None)
        return self._sessions[speaker]

    def animate(self, task: ClipTask, speech: dict[str, np.ndarray], motion: np.ndarray, frame_job=None
                ) -> bytes | tuple[bytes, bytes]:
        """The clip's bytes; with `frame_job` (deepstory.assembly.FrameJob), also its framed copy's, made
        in the same pass."""
        session = self._session(task.speaker)
        with tempfile.TemporaryDirectory(prefix="deepstory-clip-") as tmp:
            clip, framed = Path(tmp) / "clip.mp4", Path(tmp) / "framed.mp4"
            also = ()
            if frame_job is not None:
                from .assembly import framed_with_animation
                also = (framed_with_animation(frame_job, framed),)
            animate(task, motion, clip_speech(speech, task.fps, task.seed), session, clip, also=also)
            return (clip.read_bytes(), framed.read_bytes()) if also else clip.read_bytes()

    def frame(self, task: ClipTask, job, clip: bytes) -> bytes:
        """An animated clip (its bytes) made into a story frame (deepstory.assembly.FrameJob)."""
        from .assembly import frame_clip
        with tempfile.TemporaryDirectory(prefix="deepstory-frame-") as tmp:
            src = Path(tmp) / "clip.mp4"
            src.write_bytes(clip)
            return frame_clip(job, src, Path(tmp) / "framed.mp4").read_bytes()

    def close(self) -> None:
        while self._sessions:
            self._sessions.popitem()[1].__exit__(None, None, None)
        for engine in (self._animator, self._driver):
            if engine is not None:
                engine.__exit__(None, None, None)
        self._animator = self._driver = None
