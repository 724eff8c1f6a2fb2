"""Reading DCTTS voice checkpoints: `{'state_dict': ..., 'optimizer': ..., ...}` dicts, legacy or zip container.

Only `state_dict` is used (as Deepstory's voice.py does). A file holding a whole pickled model is refused
before anything in it runs, with the one-off conversion to do in a trusted environment.
"""
from __future__ import annotations

import pickletools
import zipfile
from pathlib import Path
from typing import Any, Iterator

import torch
from torch import nn

from modules.checkpoint import load_state_strict, load_untrusted
from modules.errors import CheckpointError

# Globals a plain tensor checkpoint references (tensor rebuilders, storages, dtypes, OrderedDict); a pickled
# model also references its own classes and torch.nn module classes.
_PLAIN_GLOBALS = ("torch.", "collections.", "_codecs.", "numpy.", "builtins.")
_MODEL_GLOBALS = ("torch.nn.modules.",)
_LEGACY_HEAD_BYTES = 16 << 20


def _pickle_streams(path: Path) -> Iterator[bytes]:
    """The pickle byte streams of a torch file (the zip's data.pkl, or the legacy file's leading pickles)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith("data.pkl"):
                    yield archive.read(name)
        return
    with open(path, "rb") as handle:     # the pickles come first; the tensor bytes after them are not needed
        yield handle.read(_LEGACY_HEAD_BYTES)


def _referenced_globals(path: Path, limit: int = 5) -> list[str]:
    """Class/function names the pickle would import, found by reading opcodes only (nothing is executed)."""
    found: list[str] = []
    try:
        for data in _pickle_streams(path):
            offset = 0
            for _ in range(limit):          # legacy files: magic, protocol, sys info, then the object
                strings: list[str] = []
                end = offset
                for op, arg, pos in pickletools.genops(data[offset:]):
                    if op.name == "GLOBAL":
                        found.append(str(arg).replace(" ", "."))
                    elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                        found.append(f"{strings[-2]}.{strings[-1]}")
                    elif isinstance(arg, str):
                        strings.append(arg)
                    end = offset + pos
                offset = end + 1
                if offset >= len(data):
                    break
    except Exception:   # a malformed stream: report what was found so far
        pass
    return found


def _module_pickle_error(path: Path, what: str) -> CheckpointError | None:
    """A specific message when the file is a whole pickled model rather than a dict of tensors."""
    suspicious = [g for g in _referenced_globals(path)
                  if not g.startswith(_PLAIN_GLOBALS) or g.startswith(_MODEL_GLOBALS)]
    if not suspicious:
        return None
    return CheckpointError(
        f"refusing {what} {path}: it is a whole pickled Python object (it references {suspicious[0]}), not the "
        f"{{'state_dict': ...}} checkpoint DCTTS voices use. Unpickling it could import and run arbitrary "
        f"code (weights_only loading refuses it), so it is never unpickled here. Convert it once, in a trusted "
        f"environment that has the original pytorch-dc-tts code: m = torch.load(path, weights_only=False); "
        f"torch.save({{'state_dict': m.state_dict()}}, '{path.name}')")


def read_state_dict(path: str | Path, *, what: str) -> dict[str, torch.Tensor]:
    """The `state_dict` of a checkpoint file (a bare state dict of tensors is accepted too)."""
    path = Path(path)
    try:
        data: Any = load_untrusted(path, what=what)
    except CheckpointError as exc:
        better = _module_pickle_error(path, what) if path.is_file() else None
        raise (better or exc) from None
    if isinstance(data, nn.Module):     # only reachable if torch's allow-list ever admits modules
        raise _module_pickle_error(path, what) or CheckpointError(f"{what} {path}: holds a model object")
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        return data["state_dict"]
    if isinstance(data, dict) and data and all(isinstance(v, torch.Tensor) for v in data.values()):
        return data
    keys = sorted(map(str, data))[:6] if isinstance(data, dict) else type(data).__name__
    raise CheckpointError(f"{what} {path}: expected a dict with a 'state_dict' entry (as pytorch-dc-tts saves "
                          f"checkpoints), found {keys}")


def load_weights(module: nn.Module, path: str | Path, *, what: str, hint: str = "") -> None:
    """Strictly load a checkpoint's weights into `module` (every key and shape must match)."""
    state = read_state_dict(path, what=what)
    try:
        load_state_strict(module, state, what=f"{what} {path}")
    except CheckpointError as exc:
        raise CheckpointError(f"{exc}{hint}") from None
