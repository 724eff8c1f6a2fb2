"""Built-in reenactment speed: frames per second at 512 and 1024 px output, the driver's landmark tracking
included, against the animator alone on the same motion (the baseline, measured in the same run).

    python benchmarks/reenact.py [--frames 100]

The driver is the built-in animator's own rendering of a bundled portrait (mouth, blinks, head sway) at
640 px, written as an H.264 file, so the whole path runs: decode, face mesh per driver frame, tracks,
calibration, rendering of the target portrait, encode, audio copy.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=100)
    args = ap.parse_args()
    from deepstory.engines.base import even_size_within
    from deepstory.engines.resize import resize_rgb
    from deepstory.media import encode_clip
    from deepstory.portraits import load_portrait
    from deepstory.reenact import reenact_video
    from modules import landmarks
    from modules.facewarp import FaceWarpRenderer
    from modules.facewarp.motion import BLINK, OPEN, YAW, empty
    n = args.frames
    t = np.arange(n) / 25
    motion = empty(n)
    motion[:, OPEN] = 0.45 - 0.45 * np.cos(2 * np.pi * t / 1.1)
    motion[:, YAW] = 6 * np.sin(2 * np.pi * t / 2.4)
    motion[::40, BLINK] = 1.0

    def portrait(name: str, side: int) -> np.ndarray:
        img = load_portrait(REPO / "data" / "portraits" / name, label=name).image
        return resize_rgb(np.ascontiguousarray(img[..., :3]), even_size_within(img.shape[1], img.shape[0], side))
    with tempfile.TemporaryDirectory() as tmp:
        drv_face = portrait("astronaut.jpg", 640)
        driver = Path(tmp) / "driver.mp4"
        frames = FaceWarpRenderer(drv_face, landmarks.detect(drv_face)).render(motion, n)
        encode_clip(frames, driver, Fraction(25), (drv_face.shape[1], drv_face.shape[0]))
        print(f"{n} driver frames at {drv_face.shape[1]}x{drv_face.shape[0]}")
        print(f"{'output':>7} {'reenact fps':>11} {'animator-only fps':>17} {'share of time in the animator':>30}")
        for side in (512, 1024):
            t0 = time.perf_counter()
            reenact_video(REPO / "data" / "portraits" / "grace_hopper.jpg", driver, Path(tmp) / f"out{side}.mp4",
                          max_side=side, progress=False)
            full = time.perf_counter() - t0
            target = portrait("grace_hopper.jpg", side)
            renderer = FaceWarpRenderer(target, landmarks.detect(target))
            t0 = time.perf_counter()
            for _ in renderer.render(motion, n):
                pass
            anim = time.perf_counter() - t0
            print(f"{side:>6}px {n / full:11.1f} {n / anim:17.1f} {anim / full:29.0%}")


if __name__ == "__main__":
    main()
