"""Reading SDA `.dat` files (grid.dat, timit.dat, crema.dat): meta values + three state dicts.

The files are legacy (pre-zip) `torch.save` pickles of a plain dict, GPU-saved, holding one numpy array
(`mean_face`). They load with `weights_only=True` plus a four-entry numpy allow-list; anything else that
needs arbitrary pickle globals is refused by `modules.checkpoint.load_untrusted`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checkpoint import load_untrusted
from ..errors import CheckpointError

WHAT = "SDA model file"
STATE_KEYS = ("encoder", "encoder_id", "generator")


def numpy_allow_list() -> list[Any]:
    """The globals an SDA `.dat` needs beyond tensors: a float32 ndarray pickled with numpy 1.x names."""
    import numpy.dtypes
    reconstruct = np._core.multiarray._reconstruct if hasattr(np, "_core") else np.core.multiarray._reconstruct
    # The published files name numpy 1.x's module; a file re-saved under numpy 2 names numpy._core: allow both.
    return [(reconstruct, "numpy.core.multiarray._reconstruct"), reconstruct, np.ndarray, np.dtype,
            numpy.dtypes.Float32DType]


@dataclass(frozen=True)
class SdaMeta:
    img_size: tuple[int, int]      # (H, W)
    audio_rate: int
    video_rate: int
    audio_feat_len: float          # seconds per window
    audio_feat_samples: int
    id_enc_dim: int
    rnn_gen_dim: int
    aud_enc_dim: int
    aux_latent: int
    sequential_noise: bool
    mean_face: np.ndarray          # (68, 2) float32 (x, y) in the img_size frame


def _meta(raw: dict, path: str) -> SdaMeta:
    def need(key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in raw:
            raise CheckpointError(f"{WHAT} {path} lacks the meta value '{key}': not an SDA model file")
        value = raw[key]
        if kind is int and isinstance(value, (bool, np.bool_)) or not isinstance(value, kind):
            raise CheckpointError(f"{WHAT} {path}: meta value '{key}' has type {type(value).__name__}")
        return value

    size = need("img_size", (tuple, list))
    if len(size) != 2:
        raise CheckpointError(f"{WHAT} {path}: img_size must be (H, W), got {size!r}")
    mean_face = np.asarray(need("mean_face", np.ndarray), dtype=np.float32)
    if mean_face.shape != (68, 2):
        raise CheckpointError(f"{WHAT} {path}: mean_face must be (68, 2), got {mean_face.shape}")
    meta = SdaMeta(
        img_size=(int(size[0]), int(size[1])), audio_rate=need("audio_rate", int), video_rate=need("video_rate", int),
        audio_feat_len=float(need("audio_feat_len", (float, int))),
        audio_feat_samples=need("audio_feat_samples", int), id_enc_dim=need("id_enc_dim", int),
        rnn_gen_dim=need("rnn_gen_dim", int), aud_enc_dim=need("aud_enc_dim", int),
        aux_latent=need("aux_latent", int), sequential_noise=bool(need("sequential_noise", (bool, np.bool_))),
        mean_face=mean_face)
    if meta.audio_feat_samples != int(meta.audio_rate * meta.audio_feat_len):
        raise CheckpointError(f"{WHAT} {path}: audio_feat_samples {meta.audio_feat_samples} != "
                              f"int(audio_rate * audio_feat_len) = {int(meta.audio_rate * meta.audio_feat_len)}")
    return meta


def read_sda_file(path: str | os.PathLike) -> tuple[SdaMeta, dict[str, dict]]:
    """Meta values and the `encoder`, `encoder_id`, `generator` state dicts of an SDA `.dat` file (on CPU)."""
    path = os.fspath(path)
    raw = load_untrusted(path, map_location="cpu", allow_globals=numpy_allow_list(), what=WHAT)
    if not isinstance(raw, dict):
        raise CheckpointError(f"{WHAT} {path}: expected a dict of meta values and state dicts, "
                              f"got {type(raw).__name__}")
    missing = [k for k in STATE_KEYS if not isinstance(raw.get(k), dict)]
    if missing:
        raise CheckpointError(f"{WHAT} {path} lacks the state dict(s) {', '.join(missing)}: not an SDA model file")
    return _meta(raw, path), {k: raw[k] for k in STATE_KEYS}
