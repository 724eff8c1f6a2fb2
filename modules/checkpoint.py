"""Loading untrusted checkpoint files safely and strictly.

Every model loads through `load_untrusted` (torch's `weights_only` unpickler, never plain pickle) and
`load_state_strict` (every key and shape must match), so one place decides what a bad file's error says.
"""
from __future__ import annotations

import os
import pickle
from typing import Any, Iterable, Mapping

import torch

from .errors import CheckpointError


def load_untrusted(path: str | os.PathLike, *, map_location: Any = "cpu", allow_globals: Iterable[Any] = (),
                   what: str = "checkpoint") -> Any:
    """`torch.load(path, weights_only=True)` with clear errors; `allow_globals` lists extra safe globals."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"{what} not found: {path}")
    try:
        with torch.serialization.safe_globals(list(allow_globals)):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        # weights_only refuses arbitrary code; say so instead of showing torch's long advice text.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"refusing to load {what} {path}: it needs arbitrary Python objects to unpickle, which could run code "
            f"({first[:200]}). Only plain tensor/state-dict files are accepted; re-save it as a state dict "
            f"(torch.save(model.state_dict(), ...)) from a trusted environment."
        ) from None
    except Exception as exc:  # noqa: BLE001 - any failure to parse an untrusted file means "not a checkpoint"
        raise CheckpointError(f"cannot read {what} {path}: the file is corrupt or not a torch checkpoint "
                              f"({type(exc).__name__}: {str(exc)[:200]})") from None


def load_state_strict(module: torch.nn.Module, state: Mapping[str, Any], *, what: str = "checkpoint",
                      optional_suffixes: tuple[str, ...] = ("num_batches_tracked",), limit: int = 8) -> None:
    """Load `state` into `module`, requiring every key and shape to match (buffers ending in
    `optional_suffixes` may be absent). The error lists the first `limit` problems of each kind."""
    if not isinstance(state, Mapping):
        raise CheckpointError(f"{what}: expected a state dict, got {type(state).__name__}")
    own = module.state_dict()
    missing = [k for k in own if k not in state and not k.endswith(optional_suffixes)]
    unexpected = [k for k in state if k not in own]
    wrong = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
             for k in own if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(own[k].shape)]
    not_tensor = [k for k in own if k in state and not isinstance(state[k], torch.Tensor)]
    problems = []
    for label, items in (("missing keys", missing), ("unexpected keys", unexpected),
                         ("shape mismatches", wrong), ("non-tensor values", not_tensor)):
        if items:
            more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
            problems.append(f"{label}: " + ", ".join(items[:limit]) + more)
    if problems:
        raise CheckpointError(f"{what} does not match the model: " + "; ".join(problems))
    module.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)


def pick_device(device: Any = None) -> torch.device:
    """The device to run on: the given one, else CUDA when present, else CPU."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
