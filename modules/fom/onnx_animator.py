"""`OnnxFomAnimator`: the FOM animator on onnxruntime, from the folder `run_story.py fom export` writes.

Same interface as `FomAnimator` (context manager, `frame_hw`, `device`, `prepare`, `predictions`,
`animate`), same outputs up to float rounding. Per portrait `source.onnx` runs once; per batch of driving
frames `keypoints.onnx`, then the keypoint normalisation (relative motion, adapt scale: the same torch
code the torch animator uses, on a few numbers), then `frame.onnx`.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import torch

from ..errors import CheckpointError
from .animator import _batches
from .driving import prepare_driving
from .normalize import _relative, movement_scale

DESCRIPTION = "fom-onnx.json"        # the export's description file, next to the models
FORMAT = "deepstory-fom-onnx"
FORMAT_VERSION = 1


def read_description(folder: str | os.PathLike) -> dict[str, Any]:
    """The export's JSON description, checked: format, version, frame shape and every model file present."""
    folder = Path(folder)
    path = folder / DESCRIPTION
    if not path.is_file():
        raise CheckpointError(f"{folder} is not a FOM ONNX export: {DESCRIPTION} is missing "
                              "(write one with: run_story.py fom export --config ... --checkpoint ... --out DIR)")
    try:
        desc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from None
    if not isinstance(desc, dict) or desc.get("format") != FORMAT or desc.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"{path} is not a version-{FORMAT_VERSION} {FORMAT} description")
    shape = desc.get("frame_shape")
    models = desc.get("models")
    if (not isinstance(shape, list) or len(shape) != 3 or not all(isinstance(v, int) and v > 0 for v in shape)
            or not isinstance(models, dict) or set(models) != {"source", "keypoints", "frame"}):
        raise CheckpointError(f"{path} does not describe the three FOM models (source, keypoints, frame) "
                              "and a frame_shape [H, W, 3]")
    for name, model in models.items():
        file = folder / str(model.get("file", ""))
        if not model.get("file") or file.parent != folder or not file.is_file():
            raise CheckpointError(f"{path}: the {name} model file {model.get('file')!r} is missing")
    return desc


def _ort():
    try:
        import onnxruntime
    except ImportError:
        raise CheckpointError("the onnxruntime backend needs the onnxruntime package: "
                              "pip install -r requirements-onnx.txt") from None
    return onnxruntime


def session_options():
    """Quiet sessions: onnxruntime's warnings (e.g. fp16 nodes it cannot constant-fold) are not a user's concern."""
    ort = _ort()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return options


def providers_for(device: Any) -> list[str]:
    """CUDA first when asked for and available in this onnxruntime, then the CPU."""
    ort = _ort()
    available = ort.get_available_providers()
    want_cuda = device is None or str(device).startswith("cuda")
    cuda = ["CUDAExecutionProvider"] if want_cuda and "CUDAExecutionProvider" in available else []
    if str(device).startswith("cuda") and not cuda:
        raise CheckpointError("device cuda was asked for, but this onnxruntime has no CUDA provider "
                              f"(available: {', '.join(available)}); install onnxruntime-gpu or use the CPU")
    return cuda + ["CPUExecutionProvider"]


@dataclass
class OnnxPrepared:
    """The source-side results for one portrait, ready to feed `frame.onnx`."""
    key: str
    kp: dict[str, torch.Tensor]             # source keypoints (for the normalisation)
    feeds: dict[str, np.ndarray]            # frame.onnx's source-side inputs


@dataclass(frozen=True)
class _Device:
    type: str


class OnnxFomAnimator:
    """See the module docstring.

        with OnnxFomAnimator("exports/vox") as animator:
            for frame in animator.animate(source, driving): ...
    """

    def __init__(self, folder: str | os.PathLike, device: Any = None):
        self.folder = Path(folder)
        self.description = read_description(self.folder)
        h, w, _ = self.description["frame_shape"]
        self.frame_hw = (h, w)
        self.jacobian = bool(self.description["jacobian"])
        self._providers = providers_for(device)
        self.device = _Device("cuda" if self._providers[0] == "CUDAExecutionProvider" else "cpu")
        self._sessions: dict[str, Any] | None = None
        self._source: OnnxPrepared | None = None

    @property
    def frame_size(self) -> int:
        return max(self.frame_hw)

    def load(self) -> "OnnxFomAnimator":
        if self._sessions is None:
            ort = _ort()
            sessions = {}
            for name, model in self.description["models"].items():
                path = self.folder / model["file"]
                try:
                    session = ort.InferenceSession(str(path), session_options(), providers=self._providers)
                except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types for a bad file
                    raise CheckpointError(f"cannot load {path}: {str(exc).splitlines()[0][:300]}") from None
                described = [i["name"] for i in model.get("inputs", [])]
                actual = [i.name for i in session.get_inputs()]
                if described != actual:
                    raise CheckpointError(f"{path} does not match {DESCRIPTION}: inputs {actual}, "
                                          f"described {described}")
                sessions[name] = session
            self._sessions = sessions
        return self

    def __enter__(self) -> "OnnxFomAnimator":
        return self.load()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._sessions = None
        self._source = None

    def _run(self, name: str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        if self._sessions is None:
            raise RuntimeError("OnnxFomAnimator is not loaded: use it as a context manager")
        return self._sessions[name].run(None, feeds)

    def _keypoints(self, image: np.ndarray, graph: str = "keypoints") -> tuple[dict[str, torch.Tensor], list]:
        out = self._run(graph, {"image": image})
        kp = {"value": torch.from_numpy(out[0])}
        if self.jacobian:
            kp["jacobian"] = torch.from_numpy(out[1])
        return kp, out

    def prepare(self, source: np.ndarray) -> OnnxPrepared:
        """Source-side work for an H x W RGB uint8 image; the last one is cached by content."""
        source = np.ascontiguousarray(source)
        if source.shape != (*self.frame_hw, 3) or source.dtype != np.uint8:
            raise ValueError(f"source must be a {self.frame_hw[0]}x{self.frame_hw[1]}x3 uint8 RGB image, "
                             f"got {source.shape} {source.dtype}")
        key = hashlib.blake2b(source.tobytes(), digest_size=16).hexdigest()
        if self._source is None or self._source.key != key:
            image = prepare_driving(source[None], self.frame_hw).numpy()
            kp, out = self._keypoints(image, "source")
            j = 2 if self.jacobian else 1
            feeds = {"source_kp_value": out[0], "encoded": out[j], "motion_image": out[j + 1],
                     "gaussians": out[j + 2]}
            if self.jacobian:
                feeds["source_kp_jacobian"] = out[1]
            self._source = OnnxPrepared(key, kp, feeds)
        return self._source

    def predictions(self, source: np.ndarray | OnnxPrepared, driving: Iterable[np.ndarray],
                    relative: bool = True, adapt_movement_scale: bool = True, batch_size: int = 8,
                    driving_initial: np.ndarray | None = None) -> Iterator[np.ndarray]:
        """Float predictions (B, 3, H, W) in [0, 1], one array per batch of driving frames."""
        src = source if isinstance(source, OnnxPrepared) else self.prepare(source)
        initial = scale = inv = None
        if driving_initial is not None:
            initial = self._keypoints(prepare_driving(np.asarray(driving_initial)[None], self.frame_hw).numpy())[0]
        for frames in _batches(driving, max(1, int(batch_size))):
            kp, _ = self._keypoints(prepare_driving(frames, self.frame_hw).numpy())
            if initial is None:
                initial = {k: v[:1] for k, v in kp.items()}
            if relative:
                if scale is None:
                    scale = movement_scale(src.kp, initial) if adapt_movement_scale else 1.0
                    inv = torch.inverse(initial["jacobian"]) if self.jacobian else None
                kp = _relative(src.kp, kp, initial, scale, True, self.jacobian, inv)
            feeds = dict(src.feeds, kp_value=kp["value"].numpy().astype(np.float32))
            if self.jacobian:
                feeds["kp_jacobian"] = kp["jacobian"].numpy().astype(np.float32)
            yield self._run("frame", feeds)[0]

    def animate(self, source: np.ndarray | OnnxPrepared, driving: Iterable[np.ndarray], relative: bool = True,
                adapt_movement_scale: bool = True, batch_size: int = 8,
                driving_initial: np.ndarray | None = None) -> Iterator[np.ndarray]:
        """Yield one H x W x 3 uint8 frame per driving frame (prediction x 255, rounded)."""
        for pred in self.predictions(source, driving, relative, adapt_movement_scale, batch_size, driving_initial):
            frames = np.clip(np.rint(pred.astype(np.float32) * 255), 0, 255).astype(np.uint8)
            yield from frames.transpose(0, 2, 3, 1)
