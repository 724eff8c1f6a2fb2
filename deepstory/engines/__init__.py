"""Choosing the driver and animator a story asks for, from its typed settings."""
from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

from ..errors import EngineError
from ..settings import PATHS, BuiltinSettings, FomSettings, SdaSettings
from .base import Animator, Driver

ANIMATORS = {"builtin": "builtin:BuiltinAnimator", "fom": "fom:FomEngine", "still": "still:StillAnimator"}


def animator_class(name: str) -> type[Animator]:
    if name not in ANIMATORS:
        raise EngineError(f"unknown animator {name!r}; choose {', '.join(ANIMATORS)}")
    module, cls = ANIMATORS[name].split(":")
    return getattr(import_module(f"{__name__}.{module}"), cls)


def default_driver(animator: str) -> str:
    """What drives an animator when the story does not say (each animator class owns this policy)."""
    return animator_class(animator).default_driver


def make_animator(name: str, *, max_side: int, fom: FomSettings | None = None,
                  builtin: BuiltinSettings | None = None, base_dir: Path = PATHS.repo) -> Animator:
    """The animator `name` ('builtin', 'fom', 'still'); EngineError if it cannot run here."""
    if name == "still":
        from .still import StillAnimator
        return StillAnimator(max_side=max_side)
    if name == "builtin":
        from .builtin import BuiltinAnimator
        b = builtin or BuiltinSettings()
        return BuiltinAnimator(max_side=max_side, flow_res=b.flow_res, batch=b.batch, mouth=b.mouth)
    if name == "fom":
        return make_fom_engine(fom, max_side=max_side, base_dir=base_dir)
    raise EngineError(f"unknown animator {name!r}; choose builtin, fom or still")


def make_fom_engine(fom: FomSettings | None, *, max_side: int, base_dir: Path = PATHS.repo, device: Any = None,
                    batch_size: int | None = None) -> Animator:
    """The FOM animator from typed `fom:` settings (`batch_size` here overrides the settings')."""
    from .fom import FomEngine
    f = fom or FomSettings()
    onnx_dir = None
    if f.backend == "onnxruntime":
        onnx_dir = f.onnx_path(base_dir)
        if onnx_dir is None:
            raise EngineError("fom backend onnxruntime needs onnx_dir: the folder `run_story.py fom export "
                              "--out DIR` wrote (fom: {backend: onnxruntime, onnx_dir: DIR})")
    return FomEngine(f.config_path(base_dir), f.checkpoint_path(base_dir), device=device, max_side=max_side,
                     batch_size=batch_size or f.batch_size, crop_scale=f.crop_scale, onnx_dir=onnx_dir)


def make_driver(name: str, *, sda: SdaSettings | None = None, base_dir: Path = PATHS.repo) -> Driver:
    """The driver `name` ('visemes', 'sda', 'none')."""
    if name == "none":
        from .still import NoMotion
        return NoMotion()
    if name == "visemes":
        from .builtin import VisemeDriver
        return VisemeDriver()
    if name == "sda":
        from .sda import SdaDriver
        s = sda or SdaSettings()
        return SdaDriver(s.checkpoint_path(base_dir), base_image=s.base_image_path(base_dir), fast=s.fast)
    raise EngineError(f"unknown driver {name!r}; choose visemes, sda or none")
