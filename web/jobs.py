"""Background renders: a queue, worker threads, per-stage/per-clip progress, persisted job records.

Each job is a JSON file in the jobs folder, rewritten (atomically) as it progresses, so a restart keeps
finished renders; a job that was queued or running when the server stopped is marked `interrupted` and
can be resumed: the pipeline's stage cache makes the finished clips free.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from deepstory.cache import atomic_write_text
from deepstory.errors import DeepstoryError, USER_ERRORS
from deepstory.pipeline import RenderResult
from deepstory.media import write_poster
from deepstory.progress import RenderCancelled, Reporter

from .ids import is_id, new_id

log = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
TERMINAL = ("done", "failed", "cancelled", "interrupted")
MAX_LOG = 300
SAVE_EVERY = 0.5          # seconds between progress writes to disk (every change is visible in memory at once)


@dataclass
class Job:
    id: str
    story_id: str
    name: str                     # output file stem
    title: str
    text: str                     # the story as it was when the render was asked for
    animator: str | None
    status: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    clips: dict[str, list[str]] = field(default_factory=dict)   # stage -> clip ids rendered (not reused)
    log: list[str] = field(default_factory=list)
    error: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)       # kind -> file name in the job's folder
    duration: float | None = None
    frames: int | None = None
    summary: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    check_speech: bool = False                                    # transcribe each line after the voices
    speech_check: list[dict[str, Any]] | None = None              # lines heard differently from the script

    def public(self, *, with_text: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not with_text:
            d.pop("text")
        d["files"] = {k: f"/api/renders/{self.id}/files/{k}" for k in self.outputs}
        return d


class JobReporter(Reporter):
    """Records the pipeline's progress into the job (and wakes anyone streaming it)."""

    def __init__(self, board: "RenderQueue", job: Job):
        super().__init__()
        self.board, self.job = board, job

    def stage(self, name: str, total: int) -> None:
        super().stage(name, total)
        with self.board.changed:
            self.job.stages[name] = {"total": total, "rendered": 0, "reused": 0, "state": "running",
                                     "started": time.time()}          # the studio's ETA uses it
            self.job.clips.setdefault(name, [])
        self.board.touch(self.job)

    def step(self, name: str, *, reused: bool, label: str = "") -> None:
        super().step(name, reused=reused, label=label)
        with self.board.changed:
            st = self.job.stages.setdefault(name, {"total": 0, "rendered": 0, "reused": 0, "state": "running"})
            st["reused" if reused else "rendered"] += 1
            if label and not reused and name in ("drive", "animate"):
                self.job.clips.setdefault(name, []).append(label)
        self.board.touch(self.job)

    def end_stage(self, name: str) -> None:
        with self.board.changed:
            st = self.job.stages.get(name)
            if st is not None:
                st["state"] = "done"
                self._log(f"{name}: {st['rendered']} rendered, {st['reused']} reused from cache")
        self.board.touch(self.job, save=True)

    def log(self, message: str) -> None:
        with self.board.changed:
            self._log(message)
        self.board.touch(self.job)

    def _log(self, message: str) -> None:
        self.job.log.append(message)
        del self.job.log[:-MAX_LOG]


RenderFn = Callable[[Job, Reporter, Callable[[], bool], Path], RenderResult]


class RenderQueue:
    def __init__(self, root: Path, render: RenderFn, *, workers: int = 1):
        self.root = Path(root)
        self.jobs_dir = self.root / "jobs"
        self.out_dir = self.root / "renders"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._render = render
        self.changed = threading.Condition(threading.RLock())
        self._write_lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._versions: dict[str, int] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._saved_at: dict[str, float] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._load()
        self._threads = [threading.Thread(target=self._work, name=f"render-{i}", daemon=True) for i in range(workers)]
        for t in self._threads:
            t.start()

    # --------------------------------------------------------------------------------------- records
    def _load(self) -> None:
        fields = set(Job.__dataclass_fields__)
        for p in self.jobs_dir.glob("*.json"):
            try:
                raw = json.loads(p.read_text(encoding="utf-8"))
                job = Job(**{k: v for k, v in raw.items() if k in fields})
            except (OSError, ValueError, TypeError):
                log.warning("skipping unreadable job record %s", p.name)
                continue
            if not is_id(job.id, "render"):
                continue
            self._jobs[job.id] = job
            self._versions[job.id] = 0
            if job.status in ACTIVE:
                job.status = "interrupted"
                job.error = "the server stopped before this render finished; resume it (finished clips are cached)"
                job.finished = job.finished or time.time()
                self._save(job)

    def _save(self, job: Job) -> None:
        # Snapshot and write under one lock, so an older snapshot can never land after a newer one.
        with self._write_lock:
            with self.changed:
                data = json.dumps(asdict(job), ensure_ascii=False)
                gone = job.id not in self._jobs
            if not gone:
                atomic_write_text(self.jobs_dir / f"{job.id}.json", data)
            self._saved_at[job.id] = time.monotonic()

    def touch(self, job: Job, *, save: bool = False) -> None:
        """Mark the job changed: wake streams, and write it to disk now and then (always when `save`)."""
        with self.changed:
            self._versions[job.id] = self._versions.get(job.id, 0) + 1
            self.changed.notify_all()
        if save or time.monotonic() - self._saved_at.get(job.id, 0.0) > SAVE_EVERY:
            self._save(job)

    # ------------------------------------------------------------------------------------------- API
    def submit(self, *, story_id: str, name: str, title: str, text: str, animator: str | None,
               check_speech: bool = False) -> Job:
        job = Job(new_id("render"), story_id, name, title, text, animator, check_speech=check_speech)
        job.log.append("queued")
        with self.changed:
            self._jobs[job.id] = job
            self._cancel[job.id] = threading.Event()
        self.touch(job, save=True)
        self._queue.put(job.id)
        return job

    def get(self, job_id: str) -> Job | None:
        if not is_id(job_id, "render"):
            return None
        with self.changed:
            return self._jobs.get(job_id)

    def list(self, story_id: str | None = None) -> list[Job]:
        with self.changed:
            jobs = [j for j in self._jobs.values() if story_id is None or j.story_id == story_id]
        return sorted(jobs, key=lambda j: j.created, reverse=True)

    def folder(self, job: Job) -> Path:
        return self.out_dir / job.id

    def snapshot(self, job_id: str) -> tuple[dict[str, Any] | None, int]:
        with self.changed:
            job = self._jobs.get(job_id)
            return (job.public() if job else None), self._versions.get(job_id, 0)

    def wait(self, job_id: str, version: int, timeout: float) -> tuple[dict[str, Any] | None, int]:
        """The job once its version differs from `version` (or after `timeout`)."""
        with self.changed:
            self.changed.wait_for(lambda: self._versions.get(job_id, 0) != version, timeout=timeout)
            return self.snapshot(job_id)

    def cancel(self, job: Job) -> Job:
        with self.changed:
            if job.status not in ACTIVE:
                raise DeepstoryError(f"render {job.id} is {job.status}; only queued or running renders can be cancelled")
            self._cancel.setdefault(job.id, threading.Event()).set()
            if job.status == "queued":
                job.status, job.finished = "cancelled", time.time()
                job.log.append("cancelled before it started")
        self.touch(job, save=True)
        return job

    def resume(self, job: Job) -> Job:
        """Queue an interrupted, failed or cancelled render again; cached stages make the done part free."""
        with self.changed:
            if job.status in ACTIVE or job.status == "done":
                raise DeepstoryError(f"render {job.id} is {job.status}; only interrupted, failed or cancelled "
                                     f"renders can be resumed")
            job.status, job.error, job.started, job.finished = "queued", None, None, None
            job.stages, job.clips, job.outputs, job.summary = {}, {}, {}, []
            job.log.append("resumed: queued again (finished clips come from the cache)")
            self._cancel[job.id] = threading.Event()
        self.touch(job, save=True)
        self._queue.put(job.id)
        return job

    def delete(self, job: Job) -> None:
        """Forget a finished render and delete its outputs (the stage cache keeps its clips)."""
        import shutil
        with self.changed:
            if job.status in ACTIVE:
                raise DeepstoryError(f"render {job.id} is {job.status}; cancel it first")
            self._jobs.pop(job.id, None)
            self._versions[job.id] = self._versions.get(job.id, 0) + 1
            self.changed.notify_all()
        with self._write_lock:
            (self.jobs_dir / f"{job.id}.json").unlink(missing_ok=True)
        shutil.rmtree(self.folder(job), ignore_errors=True)

    def idle(self, timeout: float) -> bool:
        """Wait until no render is queued or running (for tests and shutdown)."""
        with self.changed:
            return self.changed.wait_for(lambda: all(j.status not in ACTIVE for j in self._jobs.values()),
                                         timeout=timeout)

    def stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)

    # ---------------------------------------------------------------------------------------- worker
    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            job = self.get(job_id)
            if job is None:
                continue
            cancel = self._cancel.setdefault(job.id, threading.Event())
            with self.changed:
                if job.status != "queued" or cancel.is_set():
                    continue
                job.status, job.started = "running", time.time()
                job.log.append("started")
            self.touch(job, save=True)
            self._run(job, cancel)

    def _run(self, job: Job, cancel: threading.Event) -> None:
        status, error = "done", None
        try:
            result = self._render(job, JobReporter(self, job), cancel.is_set, self.folder(job))
        except RenderCancelled as exc:
            status, error = "cancelled", str(exc)
        except USER_ERRORS as exc:
            status, error = "failed", str(exc)
        except Exception:          # a bug: the log gets the traceback, the user a short message
            log.exception("render %s failed", job.id)
            status, error = "failed", "internal error while rendering; the server log has the details"
        else:
            with self.changed:
                job.outputs = {"video": result.video.name, "srt": result.srt.name, "vtt": result.vtt.name,
                               "timeline": result.timeline.name}
            try:                   # the render list's thumbnail; a render without one is still a render
                job.outputs["poster"] = write_poster(result.video, result.video.with_name("poster.jpg")).name
            except (OSError, DeepstoryError):
                log.warning("no thumbnail for render %s", job.id)
            with self.changed:
                job.duration, job.frames = round(result.duration, 3), result.frames
                job.speech_check = result.speech_check
                job.summary, job.stage_seconds = result.summary, {k: round(v, 3) for k, v in
                                                                  result.stage_seconds.items()}
        with self.changed:
            job.status, job.error, job.finished = status, error, time.time()
            job.log.append(error if error else f"done in {job.finished - (job.started or job.finished):.1f} s")
        self.touch(job, save=True)
