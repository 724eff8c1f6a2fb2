"""The assemble stage: each clip framed for the story (aspect + framing, optional burned captions),
stream-copied next to the story's audio into one MP4, with SRT/VTT subtitles and a timeline."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from . import framing
from .cache import StageCache, atomic_write_text, stage_key
from .captions import hold_cues
from .cast import Cast
from .clip_stages import cancellable
from .engines.base import even_size_within
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
            mesh = detect(np.ascontiguousarray(resize_rgb(portrait.image, cs)))
            box = face_box(mesh) if mesh is not None else None
        clips[name] = (cs, box)
    return framing.plan_frames(story.framing, size, clips)


def framed_clip(task: ClipTask, cache: StageCache, frame: framing.ClipFrame, cancel: Callable[[], bool] | None,
                burn: list[tuple[float, float, str]] | None = None) -> Path:
    """The clip framed for the story: the animated clip itself when it already is the story's frame, else
    a cached framed copy (re-made when only the framing changes; never re-animated)."""
    clip = cache.path("animate", task.animate_key, ".mp4")
    if frame.mode == "fit" and video_size(clip) == frame.size and not burn:
        return clip
    inputs = {"animate": task.animate_key, "frame": frame.key(), "version": FIT_VERSION, "encoder": encoder_id()}
    if burn:
        inputs["captions"] = [[round(a, 4), round(b, 4), t] for a, b, t in burn]
    key = stage_key("fit", inputs)
    if not cache.has("fit", key, ".mp4"):
        frames = (frame.apply(f) for f in cancellable(read_frames(clip), cancel))
        if burn:
            from .captions import CaptionPainter, caption_at
            painter = CaptionPainter(frame.size)
            frames = (painter.paint(f, caption_at(burn, (i + 0.5) / task.fps)) for i, f in enumerate(frames))
        cache.write("fit", key, ".mp4", lambda tmp: encode_clip(frames, tmp, task.fps, frame.size,
                                                                 expected=task.n_frames))
    return cache.path("fit", key, ".mp4")


def assemble_story(story: Story, tasks: list[ClipTask], cache: StageCache, out_dir: Path,
                   frames_of: dict[str, framing.ClipFrame], reporter: Reporter,
                   cancel: Callable[[], bool] | None) -> tuple[Path, Path, Path, Path, float, int]:
    """(video, srt, vtt, timeline, duration, frames) written into `out_dir`."""
    reporter.stage("assemble", 1)
    check_cancel(cancel)
    cues, clips, frames = [], [], 0
    for t in tasks:
        start = frames / story.fps
        for text, (a, b) in zip(t.sentences, t.sentence_spans):
            cues.append(Cue(start + a, start + b, t.speaker, text, t.id, t.line_number))
        frames += t.n_frames
        clips.append({"id": t.id, "speaker": t.speaker, "line": t.line_number, "start": round(start, 4),
                      "end": round(frames / story.fps, 4), "frames": t.n_frames})
    duration = frames / story.fps
    cues = hold_cues(cues, duration)
    starts = {c["id"]: c["start"] for c in clips}

    def burned(t: ClipTask) -> list[tuple[float, float, str]] | None:
        """The captions inside this clip, in its own time (clip-local seconds)."""
        if story.captions != "burn":
            return None
        t0, t1 = starts[t.id], starts[t.id] + t.duration
        return [(max(c.start, t0) - t0, min(c.end, t1) - t0, c.text) for c in cues if c.end > t0 and c.start < t1]
    video = out_dir / f"{story.name}.mp4"
    assemble([framed_clip(t, cache, frames_of[t.speaker], cancel, burned(t)) for t in tasks],
             (load_speech(cache, t.speech_key)["audio"] for t in tasks), video, fps=story.fps, sample_rate=RATE)
    srt = atomic_write_text(out_dir / f"{story.name}.srt", to_srt(cues))
    vtt = atomic_write_text(out_dir / f"{story.name}.vtt", to_vtt(cues))
    timeline = atomic_write_text(out_dir / "timeline.json",
                                 to_timeline(story.title, story.fps, RATE, duration, clips, cues))
    reporter.step("assemble", reused=False)
    reporter.end_stage("assemble")
    return video, srt, vtt, timeline, duration, frames
