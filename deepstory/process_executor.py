"""`--jobs N`: clip tasks on N local worker processes, each with its share of the CPU threads.

Workers are spawned (not forked: torch and onnxruntime thread pools do not survive a fork) and get the
engines and the cast's portraits once, at start. They only drive and animate; voices (espeak's
process-global state included) stay in the head process.
"""
from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from .cast import Cast
from .clip_worker import ClipWorker
from .remote_executor import RemoteExecutor, WorkerLost
from .tasks import ClipTask, Engines

_worker: ClipWorker | None = None          # one per worker process


def _init(engines: Engines, portraits: dict, threads: int) -> None:
    global _worker
    _worker = ClipWorker(engines, portraits, threads)


def _call(method: str, *args):
    return getattr(_worker, method)(*args)


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class ProcessExecutor(RemoteExecutor):
    name = "processes"

    def __init__(self, jobs: int | None = None):
        super().__init__(jobs or cpu_count())
        self._pool: ProcessPoolExecutor | None = None
        self._init_args: tuple | None = None

    def attach(self, cast: Cast, driver, animator) -> None:
        self._cast = cast

    def _start(self, engines: Engines | None, cast: Cast | None, stage: str, todo: list[ClipTask]) -> None:
        """One pool for the whole render (spawning workers costs seconds): made at the first pass with
        the engines and every portrait, kept for the next passes."""
        if self._pool is not None and engines in (None, self._init_args[0]):
            return
        cast = cast or getattr(self, "_cast", None)
        portraits = {} if cast is None else {s: (p.image, p.label) for s, p in cast.portraits.items()}
        threads = max(1, cpu_count() // self.workers)
        self._stop()
        self._init_args = (engines, portraits, threads)
        self._pool = self._new_pool(self.workers)

    def _new_pool(self, n: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=max(1, n), mp_context=get_context("spawn"), initializer=_init,
                                   initargs=self._init_args)

    def _submit(self, stage: str, task: ClipTask, args: tuple) -> Future:
        return self._pool.submit(_call, stage, *args)

    def _wait(self, handles: list[Future], timeout: float) -> list[Future]:
        done, _ = wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return [h for h in handles if h in done]

    def _result(self, handle: Future):
        try:
            return handle.result()
        except BrokenProcessPool:
            raise WorkerLost() from None

    def _recover(self) -> None:
        """A dead worker breaks the whole pool (every clip in flight fails with it): start a new one."""
        if self._pool is not None and getattr(self._pool, "_broken", False):
            n = self._pool._max_workers
            self._stop()
            self._pool = self._new_pool(n)

    def _stop(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:                 # a clip mid-render does not stop by itself
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(timeout=5)

    def worker_pids(self) -> list[int]:
        """The live worker processes (what a test kills to prove a clip survives its worker)."""
        pool = self._pool
        return [p.pid for p in (getattr(pool, "_processes", None) or {}).values() if p.is_alive()] if pool else []
