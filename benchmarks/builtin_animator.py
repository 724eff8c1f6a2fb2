"""Frames per second of the built-in animator alone (no voice, no encoding) at 512x512 and 1024x1024.

Portrait: skimage's astronaut (512x512; upscaled to 1024x1024 for the large size). Motion: the viseme
driver on an espeak-ng sentence, so the mouth, blinks and sway all move. Each size is timed with the
shipped settings and with a baseline measured in the same run: the same renderer with the head field
computed at full crop resolution (the unoptimised configuration); both with the shipped thread setting
(all of torch's CPU threads but one, which a story's clip encoders use). A third row gives the renderer
every thread (the fastest for the animator alone, slower in a story, where x264 runs beside it).
Prints fps, x real time at 25 fps, and the speed-up over the baseline. Then the bundled demo story from
an empty cache: its real-time factor and its picture stages (everything but the voices).

    python benchmarks/builtin_animator.py [--frames 150] [--repeats 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deepstory.engines.base import ClipSpeech  # noqa: E402
from deepstory.engines.builtin import BuiltinAnimator, VisemeDriver  # noqa: E402

FPS = 25
TEXT = ("Once upon a time, in a small house by the sea, there lived an old man who mended boats "
        "and told stories to anyone who would listen.")


def _motion(n: int) -> tuple[np.ndarray, ClipSpeech]:
    from deepstory.voices.espeak import EspeakVoice
    speech = EspeakVoice("espeak:en-us").synthesize(TEXT)
    frames = int(np.ceil(len(speech.audio) / speech.sample_rate * FPS))
    clip = ClipSpeech(speech.audio, speech.sample_rate, speech.phonemes, frames, FPS, seed=1)
    motion = VisemeDriver().drive(clip)
    motion = np.resize(motion, (n, motion.shape[1]))       # cycle to n frames
    return motion, ClipSpeech(clip.audio, clip.sample_rate, clip.phonemes, n, FPS, 1)


def _time(anim: BuiltinAnimator, portrait: np.ndarray, motion: np.ndarray, clip: ClipSpeech,
          repeats: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    session = anim.speaker(portrait)
    setup = time.perf_counter() - t0
    for _ in session.render(motion[:8], ClipSpeech(clip.audio, clip.sample_rate, None, 8, FPS, 0)):
        pass                                                 # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in session.render(motion, clip):
            pass
        best = min(best, time.perf_counter() - t0)
    return clip.n_frames / best, setup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import cv2
    import skimage.data
    import torch
    base = skimage.data.astronaut()
    motion, clip = _motion(args.frames)
    print(f"torch {torch.__version__}, default CPU threads {torch.get_num_threads()}, "
          f"{args.frames} frames, best of {args.repeats}")
    print(f"{'size':>10} {'config':>10} {'fps':>8} {'x realtime':>11} {'speed-up':>9} {'setup s':>8}")
    for side in (512, 1024):
        portrait = base if side == 512 else cv2.resize(base, (side, side), interpolation=cv2.INTER_CUBIC)
        fast, setup = _time(BuiltinAnimator(max_side=side), portrait, motion, clip, args.repeats)
        slow, _ = _time(BuiltinAnimator(max_side=side, flow_res=10_000), portrait, motion, clip, args.repeats)
        every, _ = _time(BuiltinAnimator(max_side=side, cpu_threads=torch.get_num_threads()), portrait, motion,
                         clip, args.repeats)
        print(f"{side}x{side:<5} {'baseline':>10} {slow:8.1f} {slow / FPS:11.2f} {1.0:9.2f} {'':>8}")
        print(f"{side}x{side:<5} {'shipped':>10} {fast:8.1f} {fast / FPS:11.2f} {fast / slow:9.2f} {setup:8.2f}")
        print(f"{side}x{side:<5} {'all threads':>10} {every:8.1f} {every / FPS:11.2f} {every / slow:9.2f} {'':>8}")
    _demo_story_rtf()
    _demo_story_rtf(512)


def _demo_story_rtf(max_side: int | None = None) -> None:
    """The bundled demo story, rendered from an empty cache with this animator (the real-time factor a user
    sees, voices and encoding included), at the story's own size or `max_side`; the picture stages (drive,
    animate, frame, assemble: everything but the voices) are summed too, the part this animator owns."""
    import tempfile
    import time
    from pathlib import Path

    from deepstory.pipeline import render_story
    from deepstory.story import load_story
    demo = Path(__file__).resolve().parents[1] / "data" / "stories" / "demo.md"
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        story = load_story(demo)
        if max_side:
            story.max_side = max_side
        r = render_story(story, Path(tmp) / "out", cache_dir=Path(tmp) / "cache", animator="builtin")
        total = time.perf_counter() - t
    stages = ", ".join(f"{k} {v / r.duration:.3f}" for k, v in r.stage_seconds.items())
    picture = sum(v for k, v in r.stage_seconds.items() if k != "voice") / r.duration
    print(f"demo story at max_side {story.max_side}: {r.duration:.1f} s of video, rendered in {total:.1f} s: "
          f"real-time factor {total / r.duration:.3f}, picture stages {picture:.3f} (per stage: {stages})")


if __name__ == "__main__":
    main()
