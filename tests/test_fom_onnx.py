"""`run_story.py fom export` and the onnxruntime backend: the tiny fixture model exported to ONNX, run by
onnxruntime, against the torch animator and the original's golden `make_animation` outputs; the story
pipeline rendering with `fom: {backend: onnxruntime}`; a non-square config; the errors."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
import yaml

from deepstory.cli import main
from deepstory.pipeline import render_story
from deepstory.story import load_story
from modules.fom import FomAnimator
from modules.fom.onnx_animator import OnnxFomAnimator

from storyfiles import TWO, TWO_BODY, LogReporter, make_story_dir, sda_fom_front_matter

FP16_BOUND = 1e-2       # stated bound for float16 models on the prediction (measured ~1.5e-3 on the tiny model)


def export(config, checkpoint, out, *extra) -> int:
    return main(["fom", "export", "--config", str(config), "--checkpoint", str(checkpoint), "--out", str(out),
                 "-q", *extra])


@pytest.fixture(scope="module")
def exported(fom_tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("onnx") / "tiny"
    assert export(*fom_tiny, out) == 0
    return out


@pytest.fixture(scope="module")
def exported16(fom_tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("onnx16") / "tiny16"
    assert export(*fom_tiny, out, "--fp16") == 0
    return out


@pytest.fixture(scope="module")
def clip(fom_clip):
    return fom_clip


def test_export_writes_three_models_and_their_description(exported):
    import onnxruntime as ort
    desc = json.loads((exported / "fom-onnx.json").read_text())
    assert desc["frame_shape"] == [64, 64, 3] and desc["num_kp"] == 10 and desc["jacobian"] is True
    assert desc["opset"] == 17 and desc["fp16"] is False
    assert set(desc["models"]) == {"source", "keypoints", "frame"}
    for name, model in desc["models"].items():
        session = ort.InferenceSession(str(exported / model["file"]), providers=["CPUExecutionProvider"])
        assert [i["name"] for i in model["inputs"]] == [i.name for i in session.get_inputs()]
        assert [o["name"] for o in model["outputs"]] == [o.name for o in session.get_outputs()]
    frame = desc["models"]["frame"]
    assert [i["name"] for i in frame["inputs"]] == ["kp_value", "kp_jacobian", "source_kp_value",
                                                   "source_kp_jacobian", "encoded", "motion_image", "gaussians"]
    assert frame["inputs"][0]["shape"] == ["batch", 10, 2]          # any number of frames per call
    assert frame["outputs"][0]["shape"] == ["batch", 3, 64, 64]
    assert desc["check"]["max_abs_difference"] < 1e-4


@pytest.mark.parametrize("relative", [True, False])
def test_onnxruntime_equals_the_torch_animator(fom_tiny, exported, clip, relative):
    source, frames = clip
    with FomAnimator(*fom_tiny) as torch_animator:
        want = np.concatenate([p.numpy() for p in torch_animator.predictions(
            source, frames, relative=relative, adapt_movement_scale=relative, batch_size=4)])
    with OnnxFomAnimator(exported, "cpu") as animator:
        got = np.concatenate(list(animator.predictions(source, frames, relative=relative,
                                                       adapt_movement_scale=relative, batch_size=3)))
        frames_u8 = np.stack(list(animator.animate(source, frames, relative=relative,
                                                   adapt_movement_scale=relative)))
    assert got.shape == want.shape == (len(frames), 3, 64, 64)
    assert float(np.abs(got - want).max()) <= 1e-4
    assert float(want.std()) > 0.01                         # a real picture, not a constant
    assert np.abs(frames_u8.astype(int) - np.rint(want.transpose(0, 2, 3, 1) * 255)).max() <= 1


@pytest.mark.parametrize("setting, relative", [("rel_adapt", True), ("abs", False)])
def test_onnxruntime_reproduces_the_original_make_animation(exported, fixtures_dir, setting, relative):
    """Against the original implementation's outputs (the golden fixture), not only against our torch code."""
    case = np.load(fixtures_dir / "fom" / "case-tiny.npz")
    with OnnxFomAnimator(exported, "cpu") as animator:
        # the fixture's float frames go straight in: the same steps as predictions() after prepare_driving
        kp_src, src_out = animator._keypoints(case["source"], "source")
        feeds = {"source_kp_value": src_out[0], "source_kp_jacobian": src_out[1], "encoded": src_out[2],
                 "motion_image": src_out[3], "gaussians": src_out[4]}
        driving = np.ascontiguousarray(case["driving"][0].transpose(1, 0, 2, 3))
        kp, _ = animator._keypoints(driving)
        if relative:
            from modules.fom.normalize import normalize_kp
            initial = {k: v[:1] for k, v in kp.items()}
            kp = normalize_kp(kp_src, kp, initial, adapt_movement_scale=True, use_relative_movement=True,
                              use_relative_jacobian=True)
        got = animator._run("frame", dict(feeds, kp_value=kp["value"].numpy(), kp_jacobian=kp["jacobian"].numpy()))[0]
    want = case[f"{setting}__prediction"]
    assert got.shape == want.shape
    assert float(np.abs(got - want).max()) <= 1e-4


def test_fp16_export_within_its_stated_bound(fom_tiny, exported, exported16, clip):
    source, frames = clip
    desc = json.loads((exported16 / "fom-onnx.json").read_text())
    assert desc["fp16"] is True
    with FomAnimator(*fom_tiny) as torch_animator:
        want = np.concatenate([p.numpy() for p in torch_animator.predictions(source, frames)])
    with OnnxFomAnimator(exported16, "cpu") as animator:
        got = np.concatenate(list(animator.predictions(source, frames)))
    err = float(np.abs(got - want).max())
    assert 1e-6 < err <= FP16_BOUND           # float16 really is in use (not bit-equal), and within the bound
    size = lambda d: sum(p.stat().st_size for p in d.glob("*.onnx"))  # noqa: E731
    assert size(exported16) < 0.7 * size(exported)          # half-size weights


def test_non_square_config_exports_and_runs(fixtures_dir, tmp_path):
    data = yaml.safe_load((fixtures_dir / "fom" / "tiny-256.yaml").read_text())
    data["dataset_params"]["frame_shape"] = [64, 96, 3]
    config = tmp_path / "wide.yaml"
    config.write_text(yaml.safe_dump(data))
    checkpoint = fixtures_dir / "fom" / "tiny-cpk.pth.tar"
    assert export(config, checkpoint, tmp_path / "wide") == 0
    rng = np.random.default_rng(0)
    source = rng.integers(0, 255, (64, 96, 3), dtype=np.uint8)
    frames = [np.roll(source, 3 * i, axis=1) for i in range(4)]
    with FomAnimator(config, checkpoint) as torch_animator:
        want = np.concatenate([p.numpy() for p in torch_animator.predictions(source, frames)])
    with OnnxFomAnimator(tmp_path / "wide", "cpu") as animator:
        assert animator.frame_hw == (64, 96)
        got = np.concatenate(list(animator.predictions(source, frames)))
    assert got.shape == (4, 3, 64, 96)
    assert float(np.abs(got - want).max()) <= 1e-4


@pytest.mark.slow
def test_story_renders_with_the_onnxruntime_backend(tmp_path, fixtures_dir, exported, one_torch_thread):
    extra = sda_fom_front_matter(fixtures_dir, f'backend: onnxruntime, onnx_dir: "{exported}"')
    story = make_story_dir(tmp_path / "s", TWO_BODY, speakers=TWO, animator="fom", extra=extra)
    rep = LogReporter()
    render_story(load_story(story), tmp_path / "out", cache_dir=tmp_path / "cache", reporter=rep)
    assert rep.rendered["animate"] == 2
    assert (tmp_path / "out" / "tale.mp4").is_file()

    # the same story on torch (config + checkpoint) renders frames within uint8 rounding of onnxruntime's
    import av
    extra_torch = sda_fom_front_matter(fixtures_dir)
    story2 = make_story_dir(tmp_path / "t", TWO_BODY, speakers=TWO, animator="fom", extra=extra_torch)
    rep2 = LogReporter()
    render_story(load_story(story2), tmp_path / "out2", cache_dir=tmp_path / "cache", reporter=rep2)
    assert rep2.rendered["animate"] == 2            # another backend is another cache entry
    assert rep2.rendered["drive"] == 0              # ... but SDA's driving clips are shared

    def frames(path):
        with av.open(str(path)) as c:
            return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(int)
    a, b = frames(tmp_path / "out" / "tale.mp4"), frames(tmp_path / "out2" / "tale.mp4")
    assert a.shape == b.shape
    assert np.abs(a - b).mean() < 0.5               # both through H.264: same pictures up to coding noise


def test_animate_driving_with_backend_onnxruntime(tmp_path, exported, fom_tiny, clip):
    """`animate --driving --animator fom --backend onnxruntime` end to end (crop none: demo.py's resize)."""
    from deepstory.media import encode_clip
    source, frames = clip
    from PIL import Image
    Image.fromarray(source).save(tmp_path / "portrait.png")
    encode_clip(iter(frames), tmp_path / "driver.mp4", 25, (64, 64))
    for backend, out in (("onnxruntime", "a.mp4"), ("torch", "b.mp4")):
        extra = (["--backend", "onnxruntime", "--onnx-dir", str(exported)] if backend == "onnxruntime"
                 else ["--fom-config", str(fom_tiny[0]), "--fom-checkpoint", str(fom_tiny[1])])
        assert main(["animate", "--portrait", str(tmp_path / "portrait.png"), "--driving",
                     str(tmp_path / "driver.mp4"), "-o", str(tmp_path / out), "--animator", "fom",
                     "--crop", "none", "--no-audio", "-q", *extra]) == 0
    import av

    def read(path):
        with av.open(str(path)) as c:
            return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(int)
    a, b = read(tmp_path / "a.mp4"), read(tmp_path / "b.mp4")
    assert a.shape == b.shape == (len(frames), 64, 64, 3)
    assert np.abs(a - b).mean() < 0.5


def test_export_errors_are_one_line(fom_tiny, fixtures_dir, tmp_path, capsys):
    assert export(*fom_tiny, tmp_path / "x", "--opset", "13") == 2
    assert "GridSample" in capsys.readouterr().err
    data = yaml.safe_load((fixtures_dir / "fom" / "tiny-256.yaml").read_text())
    del data["model_params"]["generator_params"]["dense_motion_params"]
    config = tmp_path / "no-motion.yaml"
    config.write_text(yaml.safe_dump(data))
    assert export(config, fom_tiny[1], tmp_path / "y") == 2
    err = capsys.readouterr().err
    assert "dense_motion_params" in err and "Traceback" not in err
    assert export(fom_tiny[0], tmp_path / "missing.pth.tar", tmp_path / "z") == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.pth.tar"
    bad.write_bytes(b"not a checkpoint")
    assert export(fom_tiny[0], bad, tmp_path / "w") == 2
    assert "FOM checkpoint" in capsys.readouterr().err
    assert not any((tmp_path / d).glob("*.onnx") for d in ("x", "y", "z", "w") if (tmp_path / d).exists())


def test_backend_errors_are_one_line(exported, tmp_path, capsys):
    args = ["animate", "--portrait", "p.png", "--driving", "d.mp4", "-o", str(tmp_path / "o.mp4"),
            "--animator", "fom"]
    assert main(args + ["--backend", "onnxruntime"]) == 2       # no --onnx-dir
    assert "--onnx-dir" in capsys.readouterr().err
    # a folder that is not an export, and an export whose description does not match its models
    with pytest.raises(Exception, match="fom-onnx.json is missing"):
        OnnxFomAnimator(tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    desc = json.loads((broken / "fom-onnx.json").read_text())
    desc["models"]["frame"]["inputs"][0]["name"] = "something_else"
    (broken / "fom-onnx.json").write_text(json.dumps(desc))
    with pytest.raises(Exception, match="does not match"):
        OnnxFomAnimator(broken, "cpu").load()
    (broken / "frame.onnx").write_bytes(b"garbage")
    with pytest.raises(Exception, match="cannot load"):
        OnnxFomAnimator(broken, "cpu").load()
    # a story: unknown backend, and onnxruntime without onnx_dir
    from deepstory.errors import DeepstoryError
    story = make_story_dir(tmp_path / "s", TWO_BODY, speakers=TWO, animator="fom",
                           extra="fom: {backend: tensorflow}")
    with pytest.raises(DeepstoryError, match="backend.*torch, onnxruntime"):
        load_story(story)
    story = make_story_dir(tmp_path / "s2", TWO_BODY, speakers=TWO, animator="fom",
                           extra="fom: {backend: onnxruntime}")
    with pytest.raises(DeepstoryError, match="onnx_dir"):
        render_story(load_story(story), tmp_path / "out", cache_dir=tmp_path / "cache", reporter=LogReporter())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU (run on the device machine)")
def test_cuda_provider_matches_the_cpu(exported, clip):
    import onnxruntime as ort
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.fail("a GPU is present but this onnxruntime has no CUDA provider: install onnxruntime-gpu")
    source, frames = clip
    with OnnxFomAnimator(exported, "cpu") as cpu, OnnxFomAnimator(exported, "cuda") as gpu:
        assert gpu.device.type == "cuda"
        a = np.concatenate(list(cpu.predictions(source, frames)))
        b = np.concatenate(list(gpu.predictions(source, frames)))
    assert float(np.abs(a - b).max()) <= 1e-4
