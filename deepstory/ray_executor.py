"""`--ray auto|ADDRESS|local`: clip tasks on a Ray cluster (optional extra: requirements-ray.txt).

Per speaker, Ray actors keep the animator loaded and the portrait's source-side work done across that
speaker's clips — the original's one-animator-per-speaker context manager, now across machines — and ask
for a GPU when the cluster has them and the engine uses one. Actors get the portraits once (through the
object store) and send back motion arrays and encoded clip bytes: no shared file system is needed. A
killed actor is restarted by Ray and its clip retried (`retries` times per clip), then the render fails naming
the clip.
"""
from __future__ import annotations

import math

from .cast import Cast
from .clip_worker import ClipWorker
from .errors import DeepstoryError, EngineError
from .remote_executor import RemoteExecutor, WorkerLost
from .tasks import ClipTask, Engines

GPU_ENGINES = {"fom", "sda"}
RESTART_WAIT_S = 120                # how long a restarting actor may take before its clip is tried anyway        # engines that run their networks on a GPU when one is there


class _SpeakerWorker(ClipWorker):
    """A ClipWorker built from top-level arguments: Ray resolves object-store references only there, and
    needs them alive to rebuild a restarted actor (the executor keeps them until it stops)."""

    def __init__(self, engines: Engines | None, speaker: str = "", image=None, label: str = ""):
        super().__init__(engines, {speaker: (image, label)} if speaker else {})


def _ray():
    try:
        import ray
    except ImportError:
        raise DeepstoryError("Ray is not installed: pip install -r requirements-ray.txt (or render without --ray)") \
            from None
    return ray


class RayExecutor(RemoteExecutor):
    name = "ray"

    def __init__(self, address: str = "auto", workers: int | None = None):
        ray = _ray()
        if not ray.is_initialized():
            try:
                if address == "local":
                    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
                else:
                    ray.init(address=address, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise DeepstoryError(f"cannot reach the Ray cluster at {address!r}: {' '.join(str(exc).split())[:200]} "
                                     f"(start one with `ray start --head`, or use --ray local)") from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        super().__init__(workers or cpus)
        self._gpus = ray.cluster_resources().get("GPU", 0) > 0
        self._actors: dict[str, list] = {}          # speaker (or "" for drive) -> actors
        self._refs: list = []                       # portraits in the object store, alive while actors are
        self._turn: dict[str, int] = {}

    def _actor_class(self, engines: Engines, stage: str):
        ray = _ray()
        engine = "" if stage == "frame" else engines.driver if stage == "drive" else engines.animator
        gpu = 1 if self._gpus and engine in GPU_ENGINES else 0
        return ray.remote(num_cpus=1, num_gpus=gpu, max_restarts=-1, max_task_retries=0)(_SpeakerWorker)

    def _start(self, engines: Engines, cast: Cast | None, stage: str, todo: list[ClipTask]) -> None:
        self._stop()
        actor = self._actor_class(engines, stage)
        if stage in ("drive", "frame"):
            self._actors = {"": [actor.remote(engines) for _ in range(min(self.workers, len(todo)))]}
        else:
            counts = {s: sum(t.speaker == s for t in todo) for s in dict.fromkeys(t.speaker for t in todo)}
            for speaker, n in counts.items():          # actors per speaker in proportion to its clips
                k = max(1, min(n, math.floor(self.workers * n / len(todo))))
                image = _ray().put(cast.portraits[speaker].image)
                self._refs.append(image)
                self._actors[speaker] = [actor.remote(engines, speaker, image, cast.portraits[speaker].label)
                                         for _ in range(k)]
        self._turn = {}

    def _submit(self, stage: str, task: ClipTask, args: tuple):
        key = task.speaker if stage == "animate" else ""
        pool = self._actors[key]
        i = self._turn.get(key, 0)
        self._turn[key] = i + 1
        return getattr(pool[i % len(pool)], stage).remote(*args)

    def _wait(self, handles: list, timeout: float) -> list:
        done, _ = _ray().wait(handles, num_returns=1, timeout=timeout)
        return done

    def _result(self, handle):
        ray = _ray()
        try:
            return ray.get(handle)
        except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError):
            raise WorkerLost() from None
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, DeepstoryError):
                raise cause from None
            raise EngineError(" ".join(str(cause).split())[:500]) from None

    def _recover(self) -> None:
        """Ray restarts a dead actor by itself (max_restarts); wait until every actor answers again, so the
        lost clip is not handed straight back to one that is still restarting (and counted lost again)."""
        ray = _ray()
        for actors in self._actors.values():
            for a in actors:
                try:
                    ray.get(a.ping.remote(), timeout=RESTART_WAIT_S)
                except (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError):
                    pass

    def _stop(self) -> None:
        if not self._actors:
            return
        ray = _ray()
        for actors in self._actors.values():
            for a in actors:
                ray.kill(a, no_restart=True)
        self._actors, self._refs = {}, []

    def actor_pids(self) -> list[int]:
        ray = _ray()
        return ray.get([a.ping.remote() for actors in self._actors.values() for a in actors])
