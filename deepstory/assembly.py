"""The assemble stage: each clip framed for the story (aspect + framing, optional burned captions),
stream-copied next to the story's audio into one MP4, with SRT/VTT subtitles and a timeline."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from . import duo as duo_layout
from . import framing, transitions
from .cache import StageCache, atomic_write_text, stage_key
from .captions import hold_cues
from .cast import Cast
from .clip_encoder import ClipOutput
from .clip_stages import cancellable
from .engines.base import even_size_within
from .native_stderr import quiet_native_stderr
from .media import assemble, encode_clip, encoder_id, read_frames, video_size
from .portraits import Portrait
from .progress import Reporter, check_cancel
from .story import Story
from .subtitles import Cue, to_srt, to_timeline, to_vtt
from .tasks import ClipTask
from .voice_stage import RATE, load_speech

FIT_VERSION = "2"              # how a clip is framed for the story


def clip_size(story: Story, portrait: Portrait) -> tuple[int, int]:
    """The size an animator renders a portrait at (its own aspect, longest side at most max_side)."""
    return even_size_within(portrait.image.shape[1], portrait.image.shape[0], story.max_side)


def story_frame_size(story: Story, cast: Cast) -> tuple[int, int]:
    return framing.story_frame_size(story.aspect, [clip_size(story, p) for p in cast.portraits.values()],
                                    story.max_side)


def frame_plans(story: Story, cast: Cast, size: tuple[int, int]) -> dict[str, framing.ClipFrame]:
    """How each speaker's clips fill the story frame (faces found once per portrait, at clip size)."""
    from modules.landmarks import detect, face_box
    from .engines.resize import resize_rgb
    clips = {}
    for name, portrait in cast.portraits.items():
        cs = clip_size(story, portrait)
        box = None
        if story.framing == "fill":
            with quiet_native_stderr():
                mesh = detect(np.ascontiguousarray(resize_rgb(portrait.image, cs)))
            box = face_box(mesh) if mesh is not None else None
        clips[name] = (cs, box)
    return framing.plan_frames(story.framing, size, clips)


@dataclass(frozen=True)
class FrameJob:
    """One clip made into a story frame (aspect, framing, burned captions): per-clip work the executor
    runs like drive and animate, so a cluster frames clips in parallel and the head only stream-copies."""
    task: ClipTask
    frame: framing.ClipFrame
    burn: tuple[tuple[float, float, str], ...]   # captions inside the clip, clip-local seconds
    key: str                                     # cache key of the framed clip ("" = the animated clip as is)
    edges: tuple[transitions.Edge, ...] = ()     # dissolves into / out of the neighbour clips
    duo: duo_layout.Duo | None = None            # layout duo: `frame` fills the speaker's half, the listener idles

    @property
    def size(self) -> tuple[int, int]:
        """The framed clip's (w, h): the story frame."""
        return self.duo.size if self.duo is not None else self.frame.size


def frame_job(task: ClipTask, cache: StageCache, frame: framing.ClipFrame,
              burn: tuple[tuple[float, float, str], ...], edges: tuple[transitions.Edge, ...] = (),
              duo: duo_layout.Duo | None = None, pictures: bool = True) -> FrameJob:
    """Framed copies are cached apart from the animation: changing the framing, the transition or the
    layout never re-animates. Planned before the clip is animated, its size is the one its animator is
    expected to make and the dissolve pictures are not loaded (`pictures` False): `replan` once animated."""
    clip = cache.path("animate", task.animate_key, ".mp4")
    if frame.mode == "fit" and not burn and not edges and duo is None and frame.size == (
            video_size(clip) if cache.has("animate", task.animate_key, ".mp4") else frame.clip_size):
        return FrameJob(task, frame, burn, "")
    inputs = {"animate": task.animate_key, "frame": frame.key(), "version": FIT_VERSION, "encoder": encoder_id()}
    if burn:
        inputs["captions"] = [[round(a, 4), round(b, 4), t] for a, b, t in burn]
    if edges:
        inputs["dissolve"] = [e.key() for e in edges]
    if duo is not None:
        inputs["duo"] = duo.key()
    job = FrameJob(task, frame, burn, stage_key("fit", inputs), edges, duo)
    if edges and pictures and not cache.has("fit", job.key, ".mp4"):    # to be framed: the neighbour pictures
        job = FrameJob(task, frame, burn, job.key, transitions.with_pictures(edges, cache), duo)
    return job


def replan(job: FrameJob, cache: StageCache) -> FrameJob:
    """A job planned before animation, now that its clip (and its neighbours) are animated."""
    return frame_job(job.task, cache, job.frame, job.burn, job.edges, job.duo)


def framed_frames(job: FrameJob, frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """The animated clip's pictures made into the story's: framed (or laid out as a duo), dissolved into
    the neighbours, captioned."""
    if job.duo is not None:
        frames = duo_layout.compose(frames, job.duo, job.frame, job.task.n_frames, job.task.fps)
    else:
        frames = (job.frame.apply(f) for f in frames)
    if job.edges:
        frames = transitions.dissolve(frames, job.task.n_frames, job.edges)
    if job.burn:
        from .captions import CaptionPainter, caption_at
        painter = CaptionPainter(job.size)
        frames = (painter.paint(f, caption_at(job.burn, (i + 0.5) / job.task.fps)) for i, f in enumerate(frames))
    return frames


def frame_clip(job: FrameJob, src: Path, dst: Path, cancel: Callable[[], bool] | None = None) -> Path:
    """Read the animated clip `src`, frame (and caption) each picture, encode into `dst`."""
    encode_clip(framed_frames(job, cancellable(read_frames(src), cancel)), dst, job.task.fps, job.size,
                expected=job.task.n_frames)
    return dst


def framed_with_animation(job: FrameJob, path: Path) -> ClipOutput:
    """The framed clip as a second output of the animate pass: one render, no separate pass (for jobs
    without dissolve edges, whose neighbour pictures may not be animated yet). It frames the animated
    clip's pictures as decoded again, so its bytes are those the frame pass would make from the file:
    a render gives the same video whether its clips were framed here or later."""
    return ClipOutput(path, job.size, lambda frames: framed_frames(job, frames))


def framed_path(job: FrameJob, cache: StageCache) -> Path:
    return cache.path("fit", job.key, ".mp4") if job.key else cache.path("animate", job.task.animate_key, ".mp4")


def story_cues(story: Story, tasks: list[ClipTask]) -> tuple[list[Cue], list[dict], float]:
    """Subtitle cues (held long enough to read), the timeline's clip list, and the duration."""
    cues, clips, frames = [], [], 0
    for t in tasks:
        start = frames / story.fps
        for text, (a, b) in zip(t.sentences, t.sentence_spans):
            cues.append(Cue(start + a, start + b, t.speaker, text, t.id, t.line_number))
        frames += t.n_frames
        clips.append({"id": t.id, "speaker": t.speaker, "line": t.line_number, "start": round(start, 4),
                      "end": round(frames / story.fps, 4), "frames": t.n_frames})
    duration = frames / story.fps
    return hold_cues(cues, duration), clips, duration


def duo_plans(story: Story, tasks: list[ClipTask], cast: Cast, frames_of: dict[str, framing.ClipFrame]
              ) -> list[tuple[framing.ClipFrame, duo_layout.Duo] | None]:
    """layout duo: per clip, how its speaker fills its half and who idles in the other; None: a single shot."""
    if story.layout != "duo":
        return [None] * len(tasks)
    size = next(iter(frames_of.values())).size
    halves = frame_plans(story, cast, duo_layout.half_size(size))
    out: list[tuple[framing.ClipFrame, duo_layout.Duo] | None] = []
    for t, scene in zip(tasks, duo_layout.scenes([t.speaker for t in tasks])):
        if scene is None:
            out.append(None)
            continue
        other = scene[1] if t.speaker == scene[0] else scene[0]
        portrait = cast.portraits[other]
        listener = duo_layout.Listener(portrait.digest, halves[other], (t.seed + 1) & 0x7FFFFFFF, story.max_side,
                                       story.builtin.flow_res, story.builtin.mouth, portrait.image)
        out.append((halves[t.speaker], duo_layout.Duo(t.speaker == scene[0], size, listener)))
    return out


def frame_jobs(story: Story, tasks: list[ClipTask], cues: list[Cue], clips: list[dict], cache: StageCache,
               frames_of: dict[str, framing.ClipFrame], cast: Cast | None = None, pictures: bool = True
               ) -> list[FrameJob]:
    starts = {c["id"]: c["start"] for c in clips}

    def burned(t: ClipTask) -> tuple[tuple[float, float, str], ...]:
        """The captions inside this clip, in its own time (clip-local seconds)."""
        if story.captions != "burn":
            return ()
        t0, t1 = starts[t.id], starts[t.id] + t.duration
        return tuple((max(c.start, t0) - t0, min(c.end, t1) - t0, c.text) for c in cues
                     if c.end > t0 and c.start < t1)
    duos = duo_plans(story, tasks, cast, frames_of) if cast is not None else [None] * len(tasks)
    # dissolves between single shots; a duo scene's clips follow each other (and come and go) with cuts
    edges = transitions.plan_edges(story.transition, tasks, frames_of, {i for i, d in enumerate(duos) if d})
    return [frame_job(t, cache, d[0] if d else frames_of[t.speaker], burned(t), e, d[1] if d else None, pictures)
            for t, e, d in zip(tasks, edges, duos)]


def assemble_story(story: Story, tasks: list[ClipTask], jobs: list[FrameJob], cues: list[Cue], clips: list[dict],
                   duration: float, cache: StageCache, out_dir: Path, reporter: Reporter,
                   cancel: Callable[[], bool] | None) -> tuple[Path, Path, Path, Path, float, int]:
    """The framed clips stream-copied beside the story audio; (video, srt, vtt, timeline, duration, frames)
    written into `out_dir`."""
    reporter.stage("assemble", 1)
    check_cancel(cancel)
    video = out_dir / f"{story.name}.mp4"
    assemble([framed_path(j, cache) for j in jobs], (load_speech(cache, t.speech_key)["audio"] for t in tasks),
             video, fps=story.fps, sample_rate=RATE)
    srt = atomic_write_text(out_dir / f"{story.name}.srt", to_srt(cues))
    vtt = atomic_write_text(out_dir / f"{story.name}.vtt", to_vtt(cues))
    timeline = atomic_write_text(out_dir / "timeline.json",
                                 to_timeline(story.title, story.fps, RATE, duration, clips, cues))
    reporter.step("assemble", reused=False)
    reporter.end_stage("assemble")
    return video, srt, vtt, timeline, duration, sum(t.n_frames for t in tasks)
