"""Weights-free reenactment: a driver whose motion is known (the built-in animator itself rendered with
chosen mouth / blink / yaw tracks) drives another portrait; the recovered tracks and the output follow it."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from deepstory.driving_video import DrivingVideoError
from deepstory.engines.base import even_size_within
from deepstory.engines.resize import resize_rgb
from deepstory.portraits import load_portrait
from deepstory.reenact import reenact_motion, reenact_video
from modules import landmarks
from modules.facewarp import FaceWarpRenderer
from modules.facewarp.motion import BLINK, OPEN, YAW, empty
from storyfiles import PORTRAITS

N = 75                       # 3 s at 25 fps


def _truth() -> np.ndarray:
    t = np.arange(N) / 25
    m = empty(N)
    m[:, OPEN] = np.clip(0.45 - 0.45 * np.cos(2 * np.pi * t / 1.1), 0, 0.9) * (t > 0.2)
    m[:, YAW] = 7 * np.sin(2 * np.pi * t / 2.4)
    for start in (18, 52):                   # two blinks, shut for 3 frames
        m[start:start + 5, BLINK] = [0.5, 1, 1, 1, 0.5]
    return m


def _portrait(name: str, side: int) -> np.ndarray:
    img = load_portrait(PORTRAITS / name, label=name).image
    return resize_rgb(np.ascontiguousarray(img[..., :3]), even_size_within(img.shape[1], img.shape[0], side))


def _write(frames, path: Path, fps: Fraction, audio: bool = True) -> Path:
    with av.open(str(path), "w", format="mp4") as out:
        v = out.add_stream("libx264", rate=fps)
        v.height, v.width = frames[0].shape[:2]
        v.pix_fmt, v.options = "yuv420p", {"crf": "12"}
        a = out.add_stream("aac", rate=16000, layout="mono") if audio else None
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts, vf.time_base = i, 1 / fps
            out.mux(v.encode(vf))
        out.mux(v.encode(None))
        if a is not None:
            n = int(len(frames) / fps * 16000)
            tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(n) / 16000)).astype(np.float32)
            for k in range(0, n, 1024):
                af = av.AudioFrame.from_ndarray(tone[None, k:k + 1024], format="flt", layout="mono")
                af.sample_rate, af.pts, af.time_base = 16000, k, Fraction(1, 16000)
                out.mux(a.encode(af))
            out.mux(a.encode(None))
    return path


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> tuple[Path, np.ndarray]:
    face = _portrait("astronaut.jpg", 320)
    frames = list(FaceWarpRenderer(face, landmarks.detect(face)).render(_truth(), N))
    path = tmp_path_factory.mktemp("driver") / "driver.mp4"
    return _write(frames, path, Fraction(30000, 1001)), _truth()


def _corr(a, b) -> float:
    return float(np.corrcoef(a, b)[0, 1])


@pytest.mark.slow
def test_recovered_tracks_follow_the_known_motion(driver):
    path, truth = driver
    target = _portrait("grace_hopper.jpg", 320)
    mesh = landmarks.detect(target)
    motion, ref = reenact_motion(FaceWarpRenderer(target, mesh), mesh, path, progress=False)
    assert motion.shape == truth.shape and ref == 0
    for ch, name in ((OPEN, "open"), (BLINK, "blink"), (YAW, "yaw")):
        r = _corr(motion[:, ch], truth[:, ch])
        print(f"{name}: r={r:.3f}")
        assert r >= 0.9, (name, r)
    assert motion[:, YAW].max() > 2 and motion[:, YAW].min() < -2      # the head turns both ways
    assert motion[20, BLINK] > 0.6 and motion[35, BLINK] < 0.3        # shut in a blink, open between


@pytest.mark.slow
def test_reenacted_video_keeps_the_drivers_timing_and_audio_and_its_mouth_follows(driver, tmp_path):
    path, truth = driver
    out = reenact_video(PORTRAITS / "grace_hopper.jpg", path, tmp_path / "out.mp4", max_side=320, progress=False)
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert v.average_rate == Fraction(30000, 1001) and c.streams.audio
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == N
    with av.open(str(path)) as c:
        driven = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    out_open = np.array([landmarks.mouth_opening(landmarks.detect(f)) for f in frames])
    drv_open = np.array([landmarks.mouth_opening(landmarks.detect(f)) for f in driven])
    r = _corr(out_open, drv_open)
    print(f"output mouth opening vs driver's: r={r:.3f}")
    assert r >= 0.9
    silent = reenact_video(PORTRAITS / "grace_hopper.jpg", path, tmp_path / "silent.mp4", max_side=320,
                           keep_audio=False, progress=False)
    with av.open(str(silent)) as c:
        assert not c.streams.audio


def test_find_best_frame_starts_from_the_frame_most_like_the_portrait(tmp_path):
    face = _portrait("astronaut.jpg", 256)
    motion = empty(12)
    motion[:, OPEN] = 0.8
    motion[7, OPEN] = 0.0                    # only frame 7 has the lips shut
    frames = list(FaceWarpRenderer(face, landmarks.detect(face)).render(motion, 12))
    path = _write(frames, tmp_path / "d.mp4", Fraction(25), audio=False)
    portrait = frames[7]                     # a portrait with its lips shut
    mesh = landmarks.detect(portrait)
    rows, ref = reenact_motion(FaceWarpRenderer(portrait, mesh), mesh, path, find_best=True, progress=False)
    assert ref == 7 and rows[7, OPEN] == pytest.approx(0.0, abs=0.05) and rows[0, OPEN] > 0.3
    _, ref = reenact_motion(FaceWarpRenderer(portrait, mesh), mesh, path, best_frame_index=3, progress=False)
    assert ref == 3


def test_bad_drivers_are_one_clear_error(tmp_path):
    noise = [np.random.default_rng(i).integers(0, 255, (96, 128, 3), dtype=np.uint8) for i in range(5)]
    faceless = _write(noise, tmp_path / "noise.mp4", Fraction(25), audio=False)
    with pytest.raises(DrivingVideoError, match="no face found in the driving video"):
        reenact_video(PORTRAITS / "grace_hopper.jpg", faceless, tmp_path / "o.mp4", max_side=256, progress=False)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 50)
    with pytest.raises(DrivingVideoError):
        reenact_video(PORTRAITS / "grace_hopper.jpg", junk, tmp_path / "o.mp4", max_side=256, progress=False)
    with pytest.raises(DrivingVideoError, match="not found"):
        reenact_video(PORTRAITS / "grace_hopper.jpg", tmp_path / "missing.mp4", tmp_path / "o.mp4", progress=False)
    assert not (tmp_path / "o.mp4").exists()


@pytest.mark.slow
def test_animate_driving_from_the_command_line(driver, tmp_path):
    from storyfiles import run_cli
    path, _ = driver
    out = tmp_path / "cli.mp4"
    r = run_cli("animate", "--portrait", str(PORTRAITS / "grace_hopper.jpg"), "--driving", str(path), "-o", str(out),
                "--max-side", "256", "--find-best-frame", "--no-audio", "-q")
    assert r.returncode == 0, r.stderr[-2000:]
    with av.open(str(out)) as c:
        assert c.streams.video[0].frames == N and not c.streams.audio
    bad = run_cli("animate", "--portrait", str(PORTRAITS / "grace_hopper.jpg"), "--driving", str(tmp_path / "no.mp4"),
                  "-o", str(tmp_path / "x.mp4"), "-q")
    assert bad.returncode == 2 and bad.stderr.startswith("error: driving video not found") and "Traceback" not in bad.stderr
    both = run_cli("animate", "--portrait", "p.jpg", "--driving", "d.mp4", "--audio", "a.wav", "-o", "x.mp4")
    assert both.returncode == 2 and "not allowed with" in both.stderr
