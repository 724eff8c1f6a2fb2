"""The per-clip stages as functions of a task: `drive(task, speech, driver) -> motion` and
`animate(task, motion, speech, session) -> encoded clip`. No cache and no scheduling here: executors
(deepstory/executors.py) decide where they run, the pipeline caches what they return."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .engines.base import ClipSpeech, Driver, SpeakerSession
from .errors import EngineError
from .clip_encoder import ClipOutput, write_clips
from .progress import check_cancel
from .tasks import ClipTask


def drive(task: ClipTask, speech: ClipSpeech, driver: Driver) -> np.ndarray:
    """The clip's motion (viseme track, SDA face video, ...): exactly `task.n_frames` rows."""
    motion = np.asarray(driver.drive(speech))
    if motion.shape[0] != task.n_frames:
        raise EngineError(f"driver {driver.name} made {motion.shape[0]} frames for {task.id}, "
                          f"expected {task.n_frames}")
    return motion


def cancellable(frames: Iterator[np.ndarray], cancel: Callable[[], bool] | None) -> Iterator[np.ndarray]:
    for i, f in enumerate(frames):
        if i % 25 == 0:
            check_cancel(cancel)
        yield f


def animate(task: ClipTask, motion: np.ndarray, speech: ClipSpeech, session: SpeakerSession, path: Path,
            cancel: Callable[[], bool] | None = None, also: tuple[ClipOutput, ...] = ()) -> Path:
    """The speaker's portrait moved by `motion`, encoded (H.264, the speaker's own size) into `path`
    (written in place: a temp path the caller renames); frames stream from the animator into the encoder,
    and the clips `also` are made of its pictures in the same pass (the clip framed for the story)."""
    frames = cancellable(session.render(motion, speech), cancel)
    write_clips(frames, task.fps, ClipOutput(path, session.output_size), also, expected=task.n_frames)
    return path
