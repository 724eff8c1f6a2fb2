"""`animate --portrait IMG --driving VIDEO --animator fom` (first-order-model's demo.py job).

Golden: the fixture's source and driving frames (quantised to uint8, the driver written losslessly) give
the original make_animation's predictions within uint8 rounding (+-1), relative+adapt and absolute.
Then: best-frame pick, exact NTSC frame rate and frame count, the driver's audio, the face-following
crop, and one-line errors (exit 2) for bad inputs.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from deepstory.cli import main
from deepstory.engines.fom import FomEngine
from deepstory.engines.resize import resize_rgb
from deepstory.fom_driving import DrivingSettings, drive_portrait
from modules.fom import FomAnimator

NTSC = Fraction(30000, 1001)


def write_video(path: Path, frames, fps=Fraction(25), *, lossless: bool = True, tone_hz: float | None = None):
    """An MP4 of RGB frames: lossless RGB H.264 (libx264rgb, qp 0) or ordinary yuv420p; optional AAC tone."""
    frames = list(frames)
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format="mp4") as c:
        v = c.add_stream("libx264rgb" if lossless else "libx264", rate=fps)
        v.width, v.height = w, h
        v.pix_fmt = "rgb24" if lossless else "yuv420p"
        v.options = {"qp": "0"} if lossless else {"crf": "18"}
        a = None
        if tone_hz:
            a = c.add_stream("aac", rate=48000, layout="mono")
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")
            vf.pts, vf.time_base = i, 1 / fps
            c.mux(v.encode(vf))
        c.mux(v.encode(None))
        if a is not None:
            n = int(48000 * len(frames) / fps)
            tone = (0.3 * np.sin(2 * np.pi * tone_hz * np.arange(n) / 48000)).astype(np.float32)
            af = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="flt", layout="mono")
            af.sample_rate, af.pts, af.time_base = 48000, 0, Fraction(1, 48000)
            c.mux(a.encode(af))
            c.mux(a.encode(None))
    return path


def decode(path: Path) -> tuple[list[np.ndarray], Fraction, np.ndarray | None, int]:
    """(frames, exact frame rate, mono audio or None, audio rate) of a video file."""
    with av.open(str(path)) as c:
        rate = c.streams.video[0].average_rate
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    audio, sr = None, 0
    with av.open(str(path)) as c:
        if c.streams.audio:
            sr = c.streams.audio[0].rate
            audio = np.concatenate([f.to_ndarray().reshape(f.to_ndarray().shape[0], -1)[0]
                                    for f in c.decode(audio=0)])
    return frames, Fraction(rate), audio, sr


@pytest.fixture(scope="module")
def case(fixtures_dir):
    return dict(np.load(fixtures_dir / "fom" / "case-tiny.npz"))


@pytest.fixture(scope="module")
def golden_inputs(case, tmp_path_factory):
    """The fixture's source as a PNG and its 6 driving frames as a lossless MP4 (both uint8)."""
    tmp = tmp_path_factory.mktemp("golden")
    src = np.round(case["source"][0].transpose(1, 2, 0) * 255).astype(np.uint8)
    drv = np.round(case["driving"][0].transpose(1, 2, 3, 0) * 255).astype(np.uint8)
    Image.fromarray(src).save(tmp / "source.png")
    write_video(tmp / "driving.mp4", drv)
    return src, drv, tmp / "source.png", tmp / "driving.mp4"


@pytest.fixture(scope="module")
def engine(fom_tiny):
    with FomEngine(*fom_tiny, batch_size=4) as e:
        yield e


def test_driver_is_stored_losslessly(golden_inputs):
    _, drv, _, video = golden_inputs
    frames, rate, audio, _ = decode(video)
    assert np.array_equal(np.stack(frames), drv) and rate == 25 and audio is None


@pytest.mark.parametrize("setting, relative", [("rel_adapt", True), ("abs", False)])
def test_crop_none_matches_the_original_make_animation(engine, case, golden_inputs, setting, relative,
                                                       one_torch_thread):
    src, _, _, video = golden_inputs
    driven = drive_portrait(engine, src, video, DrivingSettings(relative=relative, adapt_scale=relative,
                                                                crop="none"))
    got = np.stack(list(driven.frames)).astype(int)
    want = np.round(case[f"{setting}__prediction"].transpose(0, 2, 3, 1) * 255).astype(int)
    assert driven.size == (64, 64) and driven.info.frames == 6 and driven.best_frame is None
    assert got.shape == want.shape == (6, 64, 64, 3)
    assert np.abs(got - want).max() <= 1


def test_the_two_settings_differ(engine, golden_inputs):
    """Guard on the golden test: relative+adapt and absolute give visibly different pictures here."""
    src, _, _, video = golden_inputs
    runs = [np.stack(list(drive_portrait(engine, src, video, DrivingSettings(relative=r, adapt_scale=r,
                                                                             crop="none")).frames))
            for r in (True, False)]
    assert np.abs(runs[0].astype(int) - runs[1].astype(int)).max() > 10


def test_cli_keeps_ntsc_rate_frame_count_and_audio(golden_inputs, fom_tiny, tmp_path, capsys):
    src, drv, source_png, _ = golden_inputs
    driver = write_video(tmp_path / "ntsc.mp4", drv, NTSC, tone_hz=440.0)
    out = tmp_path / "out.mp4"
    rc = main(["animate", "--portrait", str(source_png), "--driving", str(driver), "-o", str(out),
               "--animator", "fom", "--crop", "none", "--relative", "--adapt-scale", "-q",
               "--fom-config", str(fom_tiny[0]), "--fom-checkpoint", str(fom_tiny[1])])
    assert rc == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip() == str(out)
    frames, rate, audio, sr = decode(out)
    assert rate == NTSC and len(frames) == 6 and frames[0].shape == (64, 64, 3)
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "h264" and c.streams.audio[0].codec_context.name == "aac"
    # the driver's 440 Hz tone, about as long as the video (6 frames / 29.97 fps = 0.2 s)
    assert sr == 48000 and abs(len(audio) / sr - 0.2) < 0.05
    spectrum = np.abs(np.fft.rfft(audio[2000:8000] * np.hanning(6000)))
    assert abs(np.argmax(spectrum) * sr / 6000 - 440) < 10
    # --no-audio: no audio stream
    silent = tmp_path / "silent.mp4"
    assert main(["animate", "--portrait", str(source_png), "--driving", str(driver), "-o", str(silent),
                 "--animator", "fom", "--crop", "none", "--no-audio", "-q",
                 "--fom-config", str(fom_tiny[0]), "--fom-checkpoint", str(fom_tiny[1])]) == 0
    assert decode(silent)[2] is None and len(decode(silent)[0]) == 6


def _face_frames(astronaut: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    face = resize_rgb(astronaut[0:300, 100:400], (256, 256))
    tilted = [np.ascontiguousarray(np.rot90(face, k)) for k in (1, 3)]
    squeezed = np.pad(resize_rgb(face, (180, 256)), ((0, 0), (38, 38), (0, 0)), mode="edge")
    return face, [tilted[0], squeezed, face[:, ::-1].copy(), face, tilted[1]]


def test_find_best_frame_picks_the_portraits_pose(engine, astronaut, tmp_path, one_torch_thread):
    face, frames = _face_frames(astronaut)
    video = write_video(tmp_path / "poses.mp4", frames)
    settings = DrivingSettings(relative=True, adapt_scale=True, find_best_frame=True, crop="none")
    driven = drive_portrait(engine, face, video, settings)
    got = np.stack(list(driven.frames))
    # frame 3 is the portrait itself; the mirrored, squeezed and turned faces are further in landmark distance
    assert driven.best_frame == 3
    with FomAnimator.from_models(engine.animator().kp_detector, engine.animator().generator, 64) as plain:
        small = [resize_rgb(f, (64, 64)) for f in frames]
        want = np.stack(list(plain.animate(resize_rgb(face, (64, 64)), small, relative=True,
                                           adapt_movement_scale=True, driving_initial=small[3])))
        first = np.stack(list(plain.animate(resize_rgb(face, (64, 64)), small, relative=True,
                                            adapt_movement_scale=True)))
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
    assert np.abs(got.astype(int) - first.astype(int)).max() > 5      # the start frame matters
    # --best-frame N overrides the search
    fixed = drive_portrait(engine, face, video, DrivingSettings(relative=True, best_frame=1, crop="none"))
    assert fixed.best_frame == 1


def test_face_crop_follows_the_driver_and_pastes_into_the_portrait(engine, astronaut, tmp_path,
                                                                    one_torch_thread):
    # a 320x240 driver: the astronaut's face sliding right by 4 px a frame
    base = resize_rgb(astronaut, (240, 240))
    frames = [np.pad(base, ((0, 0), (10 + 4 * i, 70 - 4 * i), (0, 0)), mode="edge") for i in range(6)]
    video = write_video(tmp_path / "slide.mp4", frames)
    driven = drive_portrait(engine, astronaut, video, DrivingSettings(relative=True, adapt_scale=True))
    out = list(driven.frames)
    assert driven.size == (512, 512) and len(out) == 6
    session = engine.speaker(astronaut)
    crop = session.crop
    outside = np.ones((512, 512), bool)
    outside[crop.y0:crop.y0 + crop.side, crop.x0:crop.x0 + crop.side] = False
    for f in out:
        assert f.shape == (512, 512, 3) and np.array_equal(f[outside], astronaut[outside])
    inside = (slice(crop.y0, crop.y0 + crop.side), slice(crop.x0, crop.x0 + crop.side))
    assert np.abs(out[0][inside].astype(int) - astronaut[inside].astype(int)).max() > 20   # animated


def test_stable_crop_holds_every_face_and_ignores_one_bad_frame():
    from deepstory.driving_video import Track, stable_crop
    boxes = [(100 + 5 * i, 80, 160 + 5 * i, 150) for i in range(20)]
    boxes[7] = (0, 0, 20, 20)                          # one wild detection
    boxes[12] = None                                   # one miss
    crop = stable_crop(Track(boxes, [None] * 20), (640, 360))
    for b in boxes:
        if b is not None and b[0] > 50:
            assert crop.x0 <= b[0] and crop.y0 <= b[1]
            assert crop.x0 + crop.side >= b[2] and crop.y0 + crop.side >= b[3]
    assert crop.x0 > 20                               # the wild box did not drag the crop to the corner
    assert 120 <= crop.side <= 200


def _cli_error(capsys, argv) -> str:
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_bad_inputs_get_one_clear_error(fom_tiny, golden_inputs, tmp_path, capsys, fixtures_dir):
    _, _, source_png, driver = golden_inputs
    fom = ["--animator", "fom", "--fom-config", str(fom_tiny[0]), "--fom-checkpoint", str(fom_tiny[1]), "-q"]
    out = str(tmp_path / "o.mp4")
    base = ["animate", "--portrait", str(source_png), "-o", out]
    # no face in the driver (the default crop follows the face); the portrait here has a face
    grey = write_video(tmp_path / "grey.mp4", [np.full((96, 128, 3), 120, np.uint8)] * 3)
    face_png = tmp_path / "face.png"
    import skimage.data
    Image.fromarray(skimage.data.astronaut()).save(face_png)
    err = _cli_error(capsys, ["animate", "--portrait", str(face_png), "-o", out, "--driving", str(grey)] + fom)
    assert "no face found in the driving video" in err
    # unreadable video
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00not a video" * 100)
    assert "cannot read the driving video" in _cli_error(capsys, base + ["--driving", str(junk)] + fom)
    # a file with audio only: no video, no frames
    audio_only = tmp_path / "audio.m4a"
    with av.open(str(audio_only), "w", format="mp4") as c:
        a = c.add_stream("aac", rate=48000, layout="mono")
        af = av.AudioFrame.from_ndarray(np.zeros((1, 4800), np.float32), format="flt", layout="mono")
        af.sample_rate, af.pts = 48000, 0
        c.mux(a.encode(af))
        c.mux(a.encode(None))
    assert "no video stream" in _cli_error(capsys, base + ["--driving", str(audio_only)] + fom)
    # a video stream with no frames (AVI keeps an empty stream's header; MP4 drops the stream)
    empty = tmp_path / "empty.avi"
    with av.open(str(empty), "w", format="avi") as c:
        v = c.add_stream("mpeg4", rate=25)
        v.width, v.height, v.pix_fmt = 64, 64, "yuv420p"
        c.start_encoding()
        c.mux(v.encode(None))
    assert "has no frames" in _cli_error(capsys, base + ["--driving", str(empty)] + fom)
    # missing file
    assert "not found" in _cli_error(capsys, base + ["--driving", str(tmp_path / "nope.mp4")] + fom)
    # a config that does not match the checkpoint (5 keypoints instead of 10)
    import yaml
    data = yaml.safe_load(fom_tiny[0].read_text())
    data["model_params"]["common_params"]["num_kp"] = 5
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    err = _cli_error(capsys, base + ["--driving", str(driver), "--animator", "fom", "--crop", "none",
                                     "--fom-config", str(bad), "--fom-checkpoint", str(fom_tiny[1]), "-q"])
    assert "tiny-cpk.pth.tar" in err
    # --best-frame outside the video, and options that need --driving or fom
    assert "outside the driving video" in _cli_error(capsys, base + ["--driving", str(driver), "--crop", "none",
                                                                     "--best-frame", "6"] + fom)
    assert "go with --driving" in _cli_error(capsys, base + ["--audio", str(driver), "--adapt-scale"])
    assert "need --animator fom" in _cli_error(capsys, base + ["--driving", str(driver), "--batch-size", "2"])
    assert not (tmp_path / "o.mp4").exists()
