"""What the process and Ray executors share: tasks handed out with a bounded number in flight (the head
holds only those clips' speech and motion), results written into the cache as they land, a clip whose
worker died retried on a fresh worker, cancel stopping every worker."""
from __future__ import annotations

from abc import abstractmethod
from collections import Counter
from typing import Any

from .cache import StageCache
from .cast import Cast
from .errors import EngineError
from .executors import Cancel, ClipExecutor, motion_for
from .progress import Reporter, RenderCancelled
from .tasks import ClipTask, Engines
from .voice_stage import load_speech


class WorkerLost(Exception):
    """The worker running a clip died (killed, out of memory, machine gone)."""


class RemoteExecutor(ClipExecutor):
    retries = 2                 # fresh tries of a clip whose worker died, before the render fails

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))

    # -- what an implementation provides
    @abstractmethod
    def _start(self, engines: Engines, cast: Cast, stage: str, todo: list[ClipTask]) -> None:
        """Start workers for `stage` ('drive', 'animate' or 'frame'; framing needs no engines)."""

    @abstractmethod
    def _submit(self, stage: str, task: ClipTask, args: tuple) -> Any:
        """Hand one clip to a worker; a handle to wait on."""

    @abstractmethod
    def _wait(self, handles: list[Any], timeout: float) -> list[Any]:
        """The handles that finished within `timeout` seconds."""

    @abstractmethod
    def _result(self, handle: Any) -> Any:
        """The finished handle's value; WorkerLost when its worker died; the worker's error otherwise."""

    @abstractmethod
    def _recover(self) -> None:
        """Replace dead workers after a WorkerLost."""

    @abstractmethod
    def _stop(self) -> None:
        """Stop every worker now (cancel, error, or the end of the render)."""

    # -- shared scheduling
    def _drive(self, engines, todo, cache, reporter, cancel):
        self._start(engines, None, "drive", todo)
        self._run("drive", todo, cache, reporter, cancel,
                  lambda t: (load_speech(cache, t.speech_key),),
                  lambda t, motion: cache.save_arrays("drive", t.drive_key, motion=motion))

    def _animate(self, engines, todo, cast, cache, reporter, cancel):
        todo = sorted(todo, key=lambda t: (list(cast.portraits).index(t.speaker), t.index))   # speakers grouped
        self._start(engines, cast, "animate", todo)
        self._run("animate", todo, cache, reporter, cancel,
                  lambda t: (load_speech(cache, t.speech_key), motion_for(t, cache), self._fusable.get(t.animate_key)),
                  lambda t, data: self._save_animated(t, data, cache))

    def _save_animated(self, t: ClipTask, data: bytes | tuple[bytes, bytes], cache: StageCache) -> None:
        """A clip the worker animated, and its framed copy when the worker made one in the same pass."""
        if isinstance(data, tuple):
            data, framed = data
            key = self._fusable[t.animate_key].key
            cache.write("fit", key, ".mp4", lambda tmp: tmp.write_bytes(framed))
            self.framed.add(key)
        cache.write("animate", t.animate_key, ".mp4", lambda tmp: tmp.write_bytes(data))

    def _frame(self, todo, cache, reporter, cancel):
        by_task = {j.task.id: j for j in todo}
        self._start(None, None, "frame", [j.task for j in todo])
        self._run("frame", [j.task for j in todo], cache, reporter, cancel,
                  lambda t: (by_task[t.id], cache.path("animate", t.animate_key, ".mp4").read_bytes()),
                  lambda t, data: cache.write("fit", by_task[t.id].key, ".mp4", lambda tmp: tmp.write_bytes(data)))

    def _run(self, stage: str, todo: list[ClipTask], cache: StageCache, reporter: Reporter, cancel: Cancel,
             inputs, save) -> None:
        queue = list(todo)
        in_flight: dict[Any, ClipTask] = {}
        lost: Counter[str] = Counter()
        limit = 2 * self.workers
        try:
            while queue or in_flight:
                if cancel is not None and cancel():
                    raise RenderCancelled("render cancelled; finished clips are cached and will be reused")
                while queue and len(in_flight) < limit:
                    t = queue.pop(0)
                    in_flight[self._submit(stage, t, (t, *inputs(t)))] = t
                for handle in self._wait(list(in_flight), 0.2):
                    t = in_flight.pop(handle)
                    try:
                        value = self._result(handle)
                    except WorkerLost:
                        lost[t.id] += 1
                        if lost[t.id] > self.retries:
                            raise EngineError(f"{stage} of {t.id} (line {t.line_number}, {t.speaker}) failed: its "
                                              f"worker died {lost[t.id]} times") from None
                        reporter.log(f"{stage} of {t.id}: its worker died; trying again ({lost[t.id]}/{self.retries})")
                        self._recover()
                        queue.insert(0, t)
                        continue
                    save(t, value)
                    reporter.step(stage, reused=False, label=t.id)
        except BaseException:
            self._stop()
            raise

    def close(self) -> None:
        self._stop()
