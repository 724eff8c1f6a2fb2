"""`run_story.py fom export`: a FOM checkpoint as ONNX models for onnxruntime (CPU or CUDA) and other runtimes.

The folder it writes holds `source.onnx` (once per portrait), `keypoints.onnx` and `frame.onnx` (per
driving frame, any batch size) and `fom-onnx.json`, which describes every input and output, the frame
shape, the opset, fp16, the files it came from, and how close the export came to the torch model on a
test input. Keypoint normalisation (relative motion, adapt scale) is not in the graphs: it is a few
numbers per frame that need a convex hull, done by the runtime (modules.fom.onnx_animator). The export
refuses a config it cannot represent, and refuses to keep models that do not reproduce the torch model.
"""
from __future__ import annotations

import copy
import json
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from .cli import Parser
from .errors import DeepstoryError
from .fom_train import _writable_dir

MIN_OPSET = 16          # GridSample (the warping) exists from opset 16
DEFAULT_OPSET = 17
# Largest difference from the torch model on the test input that an export may show (predictions in [0, 1]).
FP32_BOUND = 1e-4
FP16_BOUND = 5e-2       # float16 keeps ~3 significant digits: measured 1.5e-3 (tiny model), 1.6e-2 (vox-256 random)


def _parser() -> Parser:
    p = Parser(prog="run_story.py fom export",
               description="Write the First Order Motion Model as ONNX models (source, keypoints, frame) plus a "
                           "JSON description; use them with `fom: {backend: onnxruntime, onnx_dir: DIR}` or "
                           "`animate --backend onnxruntime --onnx-dir DIR`.")
    p.add_argument("--config", required=True, help="model YAML (e.g. data/fom/vox-256.yaml)")
    p.add_argument("--checkpoint", required=True, help="the checkpoint (e.g. vox-cpk.pth.tar)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the models and fom-onnx.json to")
    p.add_argument("--fp16", action="store_true", help="float16 weights and arithmetic (inputs/outputs stay float32)")
    p.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET}; "
                                                                     f"at least {MIN_OPSET})")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return p


def _check_supported(config: Any, opset: int) -> None:
    if opset < MIN_OPSET:
        raise DeepstoryError(f"--opset {opset}: the warping needs GridSample, which ONNX has from opset {MIN_OPSET}")
    if not config.generator_params.get("dense_motion_params"):
        raise DeepstoryError("this config has no dense_motion_params: a generator without a motion network "
                             "cannot animate, so there is nothing to export")


def _shape(value: Any) -> list[Any]:
    return [d if isinstance(d, int) else str(d) for d in value]


def _describe(path: Path) -> dict[str, Any]:
    import onnxruntime as ort

    from modules.fom.onnx_animator import session_options
    session = ort.InferenceSession(str(path), session_options(), providers=["CPUExecutionProvider"])
    kind = {"tensor(float)": "float32", "tensor(float16)": "float16"}
    return {"file": path.name,
            "inputs": [{"name": i.name, "shape": _shape(i.shape), "dtype": kind.get(i.type, i.type)}
                       for i in session.get_inputs()],
            "outputs": [{"name": o.name, "shape": _shape(o.shape), "dtype": kind.get(o.type, o.type)}
                        for o in session.get_outputs()]}


def _to_fp16(path: Path) -> None:
    """Float16 weights and arithmetic in place; graph inputs and outputs stay float32."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16
    model = convert_float_to_float16(onnx.load(str(path)), keep_io_types=True)
    onnx.save(model, str(path))


def export_models(config_path: Path, checkpoint_path: Path, out: Path, *, fp16: bool = False,
                  opset: int = DEFAULT_OPSET, progress: bool = True) -> dict[str, Any]:
    """Write the three models and the description into `out`; return the description."""
    import numpy as np
    import torch

    from modules.fom.config import load_config
    from modules.fom.export_graphs import FrameGraph, KeypointGraph, SourceGraph, has_jacobian, io_names
    from modules.fom.loading import load_checkpoint
    from modules.fom.onnx_animator import DESCRIPTION, FORMAT, FORMAT_VERSION, OnnxFomAnimator

    from .cache import file_identity

    config = load_config(config_path)
    _check_supported(config, opset)
    kp_detector, generator = load_checkpoint(config, checkpoint_path, "cpu")
    # The exporter may leave traces on the modules it runs: export copies, check against the originals.
    kp_x, gen_x = copy.deepcopy(kp_detector), copy.deepcopy(generator)
    jacobian = has_jacobian(kp_detector)
    names = io_names(jacobian)
    h, w = config.frame_hw
    gen = torch.Generator().manual_seed(0)
    source = torch.rand(1, 3, h, w, generator=gen)
    driving = torch.rand(3, 3, h, w, generator=gen)
    with torch.no_grad():
        src_out = SourceGraph(kp_x, gen_x)(source)
        kp_d = kp_x(driving)
    frame_args = (kp_d["value"],) + ((kp_d["jacobian"],) if jacobian else ()) + src_out[:1] + \
        ((src_out[1],) if jacobian else ()) + tuple(src_out[2 if jacobian else 1:])
    graphs = {"source": (SourceGraph(kp_x, gen_x), (source,)),
              "keypoints": (KeypointGraph(kp_x), (driving,)),
              "frame": (FrameGraph(gen_x, jacobian), frame_args)}
    batch_dims = {"keypoints": ["image", *names["keypoints"][1]],
                  "frame": ["kp_value", "kp_jacobian", "prediction"] if jacobian else ["kp_value", "prediction"]}

    _writable_dir(out, "--out")
    with tempfile.TemporaryDirectory(dir=out, prefix=".export-") as tmp:
        for name, (graph, args) in graphs.items():
            file = Path(tmp) / f"{name}.onnx"
            if progress:
                print(f"exporting {name}.onnx (opset {opset}{', fp16' if fp16 else ''})", file=sys.stderr)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")       # tracer warnings about shape-dependent branches
                    torch.onnx.export(graph.eval(), args, str(file), input_names=names[name][0],
                                      output_names=names[name][1], opset_version=opset, dynamo=False,
                                      dynamic_axes={n: {0: "batch"} for n in batch_dims.get(name, [])})
            except Exception as exc:  # noqa: BLE001 - any exporter failure is "this model cannot be exported"
                raise DeepstoryError(f"cannot export the {name} model of {config_path} at opset {opset}: "
                                     f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from None
            if fp16:
                _to_fp16(file)
        description = {
            "format": FORMAT, "version": FORMAT_VERSION,
            "frame_shape": [h, w, 3], "num_kp": int(config.common_params["num_kp"]), "jacobian": jacobian,
            "opset": opset, "fp16": fp16,
            "normalisation": "outside the graphs: feed frame.onnx the driving keypoints as they are (absolute) or "
                             "relative: value = (kp - kp_initial) * scale + source_kp_value, jacobian = kp_jacobian "
                             "@ inv(kp_initial_jacobian) @ source_kp_jacobian, scale = sqrt(hull area of source "
                             "keypoints / hull area of initial keypoints) with adapt scale, else 1",
            "images": "float32 (B, 3, H, W) RGB in [0, 1]; driving frames scaled and zero-padded to H x W",
            "from": {"config": Path(config_path).name, "config_sha256": file_identity(config_path),
                     "checkpoint": Path(checkpoint_path).name, "checkpoint_sha256": file_identity(checkpoint_path)},
            "models": {name: _describe(Path(tmp) / f"{name}.onnx") for name in graphs},
        }
        (Path(tmp) / DESCRIPTION).write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
        # Check the export on the test input against the untouched torch models before keeping it.
        with torch.inference_mode():
            src = generator.dense_motion_network.prepare_source(source, kp_detector(source))
            want = generator.decode(generator.apply_motion(generator.encode(source),
                                                           generator.dense_motion_network.motion(src, kp_d))).numpy()
        with OnnxFomAnimator(tmp, "cpu") as animator:
            s = animator._run("source", {"image": source.numpy()})
            feeds = dict(zip(names["frame"][0], [a.numpy() for a in frame_args[:2 if jacobian else 1]] + s))
            got = animator._run("frame", feeds)[0]
        error = float(np.abs(got.astype(np.float64) - want).max())
        bound = FP16_BOUND if fp16 else FP32_BOUND
        if not np.isfinite(error) or error > bound:
            raise DeepstoryError(f"the exported models do not reproduce the torch model (largest difference "
                                 f"{error:.2g} > {bound:g} on a test input); nothing was written")
        description["check"] = {"max_abs_difference": error, "bound": bound}
        (Path(tmp) / DESCRIPTION).write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
        for file in Path(tmp).iterdir():
            shutil.move(str(file), out / file.name)
    if progress:
        print(f"wrote {out} (largest difference from torch on a test input: {error:.2g})", file=sys.stderr)
    return description


def _need(module: str, why: str) -> None:
    import importlib.util
    if importlib.util.find_spec(module) is None:
        raise DeepstoryError(f"{why} needs the {module} package: .venv/bin/pip install -r requirements-onnx.txt "
                             "(or WITH_ONNX=1 make install)")


def export_main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    _need("onnxruntime", "fom export")
    if args.fp16:
        _need("onnx", "fom export --fp16")
    for flag, path in (("--config", args.config), ("--checkpoint", args.checkpoint)):
        if not Path(path).is_file():
            raise DeepstoryError(f"{flag} {path}: file not found")
    export_models(Path(args.config), Path(args.checkpoint), Path(args.out), fp16=args.fp16, opset=args.opset,
                  progress=not args.quiet)
    print(args.out)
    return 0
