"""Every setting of a render, typed, with its default written once.

`PATHS` says where the project's own files are (never the working directory). The engine settings are
what a story's front matter may put under `fom:` / `sda:` / `builtin:`; `from_mapping` checks them when the
story is parsed, so a typo (`fom: {chekpoint: ...}`) is an error naming the known keys, not a silent
default. Relative paths are resolved against the story's folder by `resolve`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, TypeVar

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Paths:
    repo: Path                      # the checkout (run_story.py lives here)
    data: Path                      # configs, portraits, voices and stories the project ships
    checkpoints: Path               # where users put published checkpoints (git-ignored)
    portraits: Path                 # bundled portraits, the default cast
    export: Path                    # default output folder
    cache: Path                     # default stage cache

    @classmethod
    def at(cls, repo: Path) -> "Paths":
        data = repo / "data"
        return cls(repo, data, data / "checkpoints", data / "portraits", repo / "export", repo / "export" / ".cache")


PATHS = Paths.at(REPO)


class SettingsError(ValueError):
    """A front-matter engine setting that is unknown or of the wrong type."""


def _resolve(value: str | None, default: Path | None, base_dir: Path) -> Path | None:
    if value is None:
        return default
    p = Path(value).expanduser()
    return p if p.is_absolute() else base_dir / p


@dataclass(frozen=True)
class FomSettings:
    config: str | None = None       # FOM yaml; default data/fom/vox-256.yaml
    checkpoint: str | None = None   # vox-cpk.pth.tar or a fine-tuned one; default data/checkpoints/vox-cpk.pth.tar
    batch_size: int | None = None   # frames per forward pass; None: 8 on CUDA, 2 on CPU (measured fastest)
    crop_scale: float = 1.8         # side of the square cut around the face box, in face-box sizes
    # what runs the model: "torch" (config + checkpoint) or "onnxruntime" (the models `fom export` wrote)
    backend: str = field(default="torch", metadata={"choices": ("torch", "onnxruntime")})
    onnx_dir: str | None = None     # the folder `run_story.py fom export --out DIR` wrote (backend onnxruntime)

    def config_path(self, base_dir: Path) -> Path:
        return _resolve(self.config, PATHS.data / "fom" / "vox-256.yaml", base_dir)

    def onnx_path(self, base_dir: Path) -> Path | None:
        return _resolve(self.onnx_dir, None, base_dir)

    def checkpoint_path(self, base_dir: Path) -> Path:
        return _resolve(self.checkpoint, PATHS.checkpoints / "vox-cpk.pth.tar", base_dir)


@dataclass(frozen=True)
class SdaSettings:
    checkpoint: str | None = None   # grid.dat (or timit.dat / crema.dat); default data/checkpoints/grid.dat
    base_image: str | None = None   # the aligned face SDA animates; default data/sda/astronaut-face.png
    fast: bool = False              # ~1/3 less work, float32-rounding-level differences from the original

    def checkpoint_path(self, base_dir: Path) -> Path:
        return _resolve(self.checkpoint, PATHS.checkpoints / "grid.dat", base_dir)

    def base_image_path(self, base_dir: Path) -> Path | None:
        return _resolve(self.base_image, None, base_dir)


@dataclass(frozen=True)
class BuiltinSettings:
    flow_res: int = 48              # warp-field grid resolution (the field is smooth; more costs speed only)
    batch: int = 8                  # frames warped per call
    # how much the mouth moves: scales the lip gap, the jaw's drop and the lip shapes (1 = a real
    # talker's range, measured with dlib on a person on camera; 0.5 mumbles, 2 exaggerates)
    mouth: float = field(default=1.0, metadata={"range": (0.5, 2.0)})


@dataclass(frozen=True)
class EncoderSettings:
    crf: int = 20                   # libx264 quality (lower = better, bigger)
    preset: str = "veryfast"        # libx264 speed/size trade-off


S = TypeVar("S")
_LIMITS = {int: (1, 4096), float: (0.5, 8.0)}


def known_keys(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _check(cls: type, key: str, value: Any, where: str) -> Any:
    kind = str({f.name: f.type for f in fields(cls)}[key])
    if "bool" in kind:
        if not isinstance(value, bool):
            raise SettingsError(f"'{where}.{key}' must be true or false")
        return value
    if "int" in kind:
        if isinstance(value, bool) or not isinstance(value, int) or not _LIMITS[int][0] <= value <= _LIMITS[int][1]:
            raise SettingsError(f"'{where}.{key}' must be a whole number from {_LIMITS[int][0]} to {_LIMITS[int][1]}")
        return value
    if "float" in kind:
        lo, hi = {f.name: f.metadata.get("range", _LIMITS[float]) for f in fields(cls)}[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise SettingsError(f"'{where}.{key}' must be a number from {lo} to {hi}")
        return float(value)
    choices = {f.name: f.metadata.get("choices") for f in fields(cls)}[key]
    if choices:
        if value not in choices:
            raise SettingsError(f"'{where}.{key}' must be one of {', '.join(choices)}")
        return value
    if not isinstance(value, str) or not value or len(value) > 4096:
        raise SettingsError(f"'{where}.{key}' must be a file path (text)")
    return value


def from_mapping(cls: type[S], raw: Mapping[str, Any] | None, where: str) -> S:
    """`cls` built from a front-matter mapping; SettingsError naming the known keys for an unknown one."""
    if raw is None:
        return cls()
    if not isinstance(raw, Mapping):
        raise SettingsError(f"'{where}' must be a mapping like {{{known_keys(cls)[0]}: ...}}")
    known = known_keys(cls)
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        shown = ", ".join(repr(u[:40]) for u in unknown[:5])
        raise SettingsError(f"'{where}' has unknown setting(s) {shown}; known: {', '.join(known)}")
    return cls(**{k: _check(cls, k, v, where) for k, v in raw.items()})


ENGINE_SETTINGS: dict[str, type] = {"fom": FomSettings, "sda": SdaSettings, "builtin": BuiltinSettings}
