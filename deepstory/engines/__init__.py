"""Choosing the driver and animator a story asks for."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import EngineError
from .base import Animator, Driver

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"


def _path_setting(settings: dict[str, Any], key: str, default: Path, base_dir: Path) -> Path:
    value = settings.get(key)
    if value is None:
        return default
    p = Path(str(value)).expanduser()
    return p if p.is_absolute() else base_dir / p


def make_animator(name: str, *, max_side: int, settings: dict[str, Any] | None = None,
                  base_dir: Path = REPO) -> Animator:
    """The animator `name` ('builtin', 'fom', 'still'); EngineError if it cannot run here."""
    settings = settings or {}
    if name == "still":
        from .still import StillAnimator
        return StillAnimator(max_side=max_side)
    if name == "builtin":
        from .builtin import BuiltinAnimator
        return BuiltinAnimator(max_side=max_side)
    if name == "fom":
        from .fom import FomEngine
        config = _path_setting(settings, "config", DATA / "fom" / "vox-256.yaml", base_dir)
        checkpoint = _path_setting(settings, "checkpoint", DATA / "checkpoints" / "vox-cpk.pth.tar", base_dir)
        return FomEngine(config, checkpoint, max_side=max_side)
    raise EngineError(f"unknown animator {name!r}; choose builtin, fom or still")


def make_driver(name: str, *, settings: dict[str, Any] | None = None, base_dir: Path = REPO) -> Driver:
    """The driver `name` ('visemes', 'sda', 'none')."""
    settings = settings or {}
    if name == "none":
        from .still import NoMotion
        return NoMotion()
    if name == "visemes":
        from .builtin import VisemeDriver
        return VisemeDriver()
    if name == "sda":
        from .sda import SdaDriver
        checkpoint = _path_setting(settings, "checkpoint", DATA / "checkpoints" / "grid.dat", base_dir)
        base_image = settings.get("base_image")
        base = _path_setting(settings, "base_image", DATA, base_dir) if base_image else None
        return SdaDriver(checkpoint, base_image=base)
    raise EngineError(f"unknown driver {name!r}; choose visemes, sda or none")
