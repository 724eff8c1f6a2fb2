"""Where clip tasks run: in this process (the default), in local worker processes (`--jobs N`), or on a
Ray cluster (`--ray`, deepstory/ray_executor.py).

Every executor does the same passes over the tasks whose results are not cached: drive (one loaded
driver per worker), animate (per speaker, the portrait's source-side work done once per worker; a clip
is framed for the story in the same pass when its frame job needs no neighbour clip), then frame (the
clips still to frame, from the cached animated clips). The head (this process) loads each task's speech
from the cache, hands it to a worker with the task, and writes what comes back (the motion array, the
encoded clips' bytes) into the cache, so workers need no shared file system; results are the same bytes
whichever executor made them, and whichever pass framed them.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable

import numpy as np

from modules.errors import ModelInputError

from .cache import StageCache
from .cast import Cast
from .clip_stages import animate, drive
from .errors import DeepstoryError, EngineError
from .progress import Reporter, check_cancel
from .tasks import ClipTask, Engines
from .voice_stage import clip_speech, load_speech

Cancel = Callable[[], bool] | None


def engine_error(exc: Exception) -> DeepstoryError:
    return exc if isinstance(exc, DeepstoryError) else EngineError(str(exc))


class ClipExecutor(ABC):
    """Runs the drive and animate stages of the tasks not cached yet; reports each clip as it lands."""
    name = ""
    _fusable: dict = {}             # animate key -> the frame job to run in its animate pass
    framed: set = frozenset()       # keys of the framed clips made by animate passes in this render

    def drive_all(self, engines: Engines, tasks: list[ClipTask], cache: StageCache, reporter: Reporter,
                  cancel: Cancel) -> None:
        reporter.stage("drive", len(tasks))
        todo = _pending(tasks, cache, "drive", ".npz", reporter)
        if todo:
            try:
                self._drive(engines, todo, cache, reporter, cancel)
            except (ModelInputError, OSError) as exc:
                raise engine_error(exc) from None
        reporter.end_stage("drive")

    def animate_all(self, engines: Engines, tasks: list[ClipTask], cast: Cast, cache: StageCache,
                    reporter: Reporter, cancel: Cancel, frame_jobs: list | None = None) -> None:
        """Clips at each speaker's own output size (not the story's), so a portrait swap that changes the
        story's frame size does not re-animate the other speakers: the frame pass frames their clips.
        `frame_jobs` (planned before animation): a clip whose job needs no neighbour clip is framed in its
        animate pass instead (the same bytes, cached as the frame pass's result)."""
        self._fusable, self.framed = {}, set()
        for j in frame_jobs or ():
            if j.key and not j.edges and j.task.animate_key not in self._fusable \
                    and not cache.has("fit", j.key, ".mp4"):
                self._fusable[j.task.animate_key] = j
        reporter.stage("animate", len(tasks))
        todo = _pending(tasks, cache, "animate", ".mp4", reporter)
        if todo:
            try:
                self._animate(engines, todo, cast, cache, reporter, cancel)
            except (ModelInputError, OSError) as exc:
                raise engine_error(exc) from None
        reporter.end_stage("animate")

    def frame_all(self, jobs: list, cache: StageCache, reporter: Reporter, cancel: Cancel) -> None:
        """Each animated clip made into a story frame (deepstory.assembly.FrameJob), where not cached."""
        reporter.stage("frame", len(jobs))
        todo, seen = [], set()
        for j in jobs:
            if j.key in self.framed and j.key not in seen:
                seen.add(j.key)
                reporter.step("frame", reused=False, label=j.task.id)      # framed in the animate pass
            elif not j.key or j.key in seen or cache.has("fit", j.key, ".mp4"):
                reporter.step("frame", reused=True)
            else:
                seen.add(j.key)
                todo.append(j)
        if todo:
            self._frame(todo, cache, reporter, cancel)
        reporter.end_stage("frame")

    @abstractmethod
    def _frame(self, todo: list, cache: StageCache, reporter: Reporter, cancel: Cancel) -> None: ...

    @abstractmethod
    def _drive(self, engines: Engines, todo: list[ClipTask], cache: StageCache, reporter: Reporter,
               cancel: Cancel) -> None: ...

    @abstractmethod
    def _animate(self, engines: Engines, todo: list[ClipTask], cast: Cast, cache: StageCache, reporter: Reporter,
                 cancel: Cancel) -> None: ...

    def attach(self, cast: Cast, driver, animator) -> None:
        """The render's cast and the head's own engine instances (built for planning): executors in this
        process reuse the engines, worker pools get the portraits once."""

    def close(self) -> None:
        """Free workers (a no-op for the in-process executor)."""


def _pending(tasks: list[ClipTask], cache: StageCache, stage: str, ext: str, reporter: Reporter) -> list[ClipTask]:
    """Tasks whose result is not cached, each key once (the same line twice in a story is made once)."""
    todo, seen = [], set()
    for t in tasks:
        key = t.drive_key if stage == "drive" else t.animate_key
        if key in seen or cache.has(stage, key, ext):
            reporter.step(stage, reused=True)
        else:
            seen.add(key)
            todo.append(t)
    return todo


def speech_for(task: ClipTask, cache: StageCache):
    return clip_speech(load_speech(cache, task.speech_key), task.fps, task.seed)


def motion_for(task: ClipTask, cache: StageCache) -> np.ndarray:
    data = cache.load_arrays("drive", task.drive_key)
    if data is None:
        raise DeepstoryError(f"motion of {task.id} vanished from the cache during the render; run again")
    return data["motion"]


class InProcessExecutor(ClipExecutor):
    """Today's behaviour: one process, clip after clip; the animator loaded once, each speaker's
    source-side work done once."""
    name = "in-process"
    _driver = _animator = None

    def attach(self, cast: Cast, driver, animator) -> None:
        self._driver, self._animator = driver, animator

    def _drive(self, engines, todo, cache, reporter, cancel):
        with (self._driver or engines.make_driver()) as drv:
            for t in todo:
                check_cancel(cancel)
                cache.save_arrays("drive", t.drive_key, motion=drive(t, speech_for(t, cache), drv))
                reporter.step("drive", reused=False, label=t.id)

    def _frame(self, todo, cache, reporter, cancel):
        from .assembly import frame_clip
        for j in todo:
            check_cancel(cancel)
            src = cache.path("animate", j.task.animate_key, ".mp4")
            cache.write("fit", j.key, ".mp4", lambda tmp: frame_clip(j, src, tmp, cancel))
            reporter.step("frame", reused=False, label=j.task.id)

    def _animate(self, engines, todo, cast, cache, reporter, cancel):
        with (self._animator or engines.make_animator()) as anim:
            for speaker in dict.fromkeys(t.speaker for t in todo):      # source-side work once per speaker
                portrait = cast.portraits[speaker]
                with anim.open_speaker(portrait.image, label=portrait.label, speaker=speaker,
                                       no_face=engines.no_face) as session:
                    for t in (t for t in todo if t.speaker == speaker):
                        check_cancel(cancel)
                        self._animate_one(t, session, cache, cancel)
                        reporter.step("animate", reused=False, label=t.id)

    def _animate_one(self, t: ClipTask, session, cache: StageCache, cancel: Cancel) -> None:
        """One clip, and its framed copy in the same pass when planned (one render, the encoders side by
        side; the framed copy is sealed just before the clip)."""
        motion, speech = motion_for(t, cache), speech_for(t, cache)
        job = self._fusable.get(t.animate_key)
        if job is None:
            cache.write("animate", t.animate_key, ".mp4", lambda tmp: animate(t, motion, speech, session, tmp, cancel))
            return
        from .assembly import framed_with_animation

        def both(tmp: Path) -> None:
            cache.write("fit", job.key, ".mp4", lambda framed_tmp: animate(
                t, motion, speech, session, tmp, cancel, also=(framed_with_animation(job, framed_tmp),)))
        cache.write("animate", t.animate_key, ".mp4", both)
        self.framed.add(job.key)


def executor_from_setting(value: str) -> ClipExecutor:
    """'in-process', 'processes' / 'processes:N', 'ray:auto' / 'ray:ADDRESS' (the studio's RENDER_EXECUTOR)."""
    kind, _, arg = str(value).partition(":")
    if kind == "in-process" and not arg:
        return InProcessExecutor()
    if kind == "processes" and (not arg or arg.isdigit()):
        from .process_executor import cpu_count
        return make_executor(jobs=int(arg) if arg else cpu_count())
    if kind == "ray":
        return make_executor(ray=arg or "auto")
    raise DeepstoryError(f"unknown render executor {value!r}: use in-process, processes[:N] or ray[:ADDRESS]")


def make_executor(jobs: int | None = None, ray: str | None = None) -> ClipExecutor:
    """`ray`: 'auto' or a cluster address; `jobs`: local worker processes (1 or None: in this process)."""
    if ray:
        from .ray_executor import RayExecutor
        return RayExecutor(ray, workers=jobs)
    if jobs and jobs > 1:
        from .process_executor import ProcessExecutor
        return ProcessExecutor(jobs)
    return InProcessExecutor()
