"""The story pipeline, start to end: story → cast → voice → plan → drive → animate → assemble.

1. `resolve_cast` (deepstory/cast.py): each speaker's voice and portrait, checked before any work;
2. `run_voice_stage` (deepstory/voice_stage.py): every phrase synthesized once and cached;
3. `plan_clips` (deepstory/planning.py): one frozen `ClipTask` per line (deepstory/tasks.py), its speech
   built once, every cache key decided;
4. an executor (deepstory/executors.py: in this process, local processes, or Ray) runs `drive` and
   `animate` (deepstory/clip_stages.py) for the tasks not cached;
5. deepstory/assembly.py: each clip framed for the story (aspect, framing, burned captions; run by the
   executor too, mostly inside the animate pass: the clips without a dissolve are framed as they are
   animated, from their pictures as decoded again, the same bytes as framing the cached clip later), then
   stream-copied beside the audio, with subtitles and a timeline.
Every stage is cached by its inputs: changing one line re-runs only that line's clip; changing a portrait
re-runs only `animate` for that speaker's clips (and the cheap assembly).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from modules.errors import ModelInputError

from .assembly import assemble_story, frame_jobs, frame_plans, replan, story_cues, story_frame_size
from .cache import StageCache, sweep_stale_temp
from .cast import Cast, resolve_cast
from .errors import OutputError
from .executors import ClipExecutor, InProcessExecutor, engine_error
from .planning import check_engines, choose_engines, plan_clips
from .progress import Reporter
from .settings import PATHS
from .story import Story
from .voice_stage import run_voice_stage

__all__ = ["Cast", "RenderResult", "default_cache_dir", "render_story", "resolve_cast"]


@dataclass
class RenderResult:
    video: Path
    srt: Path
    vtt: Path
    timeline: Path
    duration: float
    frames: int
    summary: list[str]
    stage_seconds: dict[str, float] = field(default_factory=dict)
    speech_check: list[dict] | None = None     # with check_speech: lines the recogniser heard differently


def default_cache_dir() -> Path:
    return PATHS.cache


# ------------------------------------------------------------------------------------------------ run
def render_story(story: Story, out_dir: Path, *, cache_dir: Path | None = None, reporter: Reporter | None = None,
                 cancel: Callable[[], bool] | None = None, animator: str | None = None,
                 data_dir: Path | None = None, check_speech: bool = False,
                 executor: ClipExecutor | None = None) -> RenderResult:
    """Render `story` into `out_dir` (<name>.mp4/.srt/.vtt, timeline.json); reuses cached stages."""
    reporter = reporter or Reporter()
    out_dir = Path(out_dir)
    created = _prepare_output_dir(out_dir)
    try:
        return _render(story, out_dir, cache_dir=cache_dir, reporter=reporter, cancel=cancel, animator=animator,
                       data_dir=data_dir, check_speech=check_speech, executor=executor or InProcessExecutor())
    except BaseException:
        if created:             # a failed run leaves no empty folder behind
            try:
                out_dir.rmdir()
            except OSError:
                pass
        raise


def _prepare_output_dir(out_dir: Path) -> bool:
    """Create (if needed) and probe the output folder; True when this run created it."""
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {out_dir}: {exc.strerror}") from None
    probe_file = out_dir / ".deepstory-write-test"
    try:
        probe_file.write_bytes(b"")
        probe_file.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write into {out_dir}: {exc.strerror}; choose another folder with -o") from None
    return created


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - t0


def _open_cache(cache_dir: Path | None, out_dir: Path, reporter: Reporter) -> StageCache:
    cache = StageCache(cache_dir or default_cache_dir(), on_damage=reporter.log)
    try:
        cache.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot use {cache.root} as the cache folder: {exc.strerror}") from None
    sweep_stale_temp(out_dir)                       # temp files of writers that died (kill -9) mid-write
    sweep_stale_temp(cache.root, recursive=True)
    return cache


def _render(story: Story, out_dir: Path, *, cache_dir: Path | None, reporter: Reporter,
            cancel: Callable[[], bool] | None, animator: str | None, data_dir: Path | None,
            check_speech: bool, executor: ClipExecutor) -> RenderResult:
    cache = _open_cache(cache_dir, out_dir, reporter)
    timings: dict[str, float] = {}
    engines = choose_engines(story, animator)
    cast = resolve_cast(story, data_dir)
    try:
        anim, drv = engines.make_animator(), engines.make_driver()
    except (ModelInputError, OSError) as exc:
        raise engine_error(exc) from None
    check_engines(engines, drv, anim)
    if story.no_face == "error":           # refuse a face-less portrait before spending any work
        from .engines.base import no_face_error
        for speaker, portrait in cast.portraits.items():
            if not anim.has_face(portrait.image):
                raise no_face_error(portrait.label, speaker)
    with _timed(timings, "voice"):
        phrases = run_voice_stage(story, cast, cache, reporter, cancel)
    tasks = plan_clips(story, cast, phrases, cache, drv, anim)
    heard = None
    if check_speech:
        from .speech_check import check_speech as transcribe_lines
        heard = transcribe_lines(tasks, {i: line.text for i, line in enumerate(story.lines)}, cache, reporter, cancel)
    executor.attach(cast, drv, anim)
    try:
        with _timed(timings, "drive"):
            executor.drive_all(engines, tasks, cache, reporter, cancel)
        cues, clips, duration = story_cues(story, tasks)
        with _timed(timings, "frame"):      # planned first, so the animate pass can frame clips as it makes them
            planned = frame_jobs(story, tasks, cues, clips, cache, frame_plans(story, cast, story_frame_size(story, cast)),
                                 cast, pictures=False)
        with _timed(timings, "animate"):
            executor.animate_all(engines, tasks, cast, cache, reporter, cancel, planned)
        with _timed(timings, "frame"):
            jobs = [replan(j, cache) for j in planned]
            executor.frame_all(jobs, cache, reporter, cancel)
    finally:
        executor.close()
    with _timed(timings, "assemble"):
        outputs = assemble_story(story, tasks, jobs, cues, clips, duration, cache, out_dir, reporter, cancel)
    summary = reporter.summary()
    if cache.damaged:
        n = len(cache.damaged)
        summary.append(f"cache: {n} damaged entr{'y' if n == 1 else 'ies'} discarded and made again")
    return RenderResult(*outputs, summary, timings, heard)
