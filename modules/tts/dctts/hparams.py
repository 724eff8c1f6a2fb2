"""DCTTS hyperparameters: the Deepstory voices' values (default) and the pytorch-dc-tts defaults.

Only the values inference reads are kept. A voice folder may carry `hparams.json` (our extension) that
overrides any of them; see `hparams_from_mapping` for the accepted layouts.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from modules.errors import CheckpointError

# Deepstory's voice.py stops after this many Text2Mel calls when EOS is never attended (its `timeout`).
DEEPSTORY_STEP_CAP = 10000


@dataclass(frozen=True)
class HParams:
    vocab: str = "PE abcdefghijklmnopqrstuvwxyz'.,!?"   # P = pad (id 0), E = end of sentence (id 1)
    e: int = 128            # character embedding size
    d: int = 512            # Text2Mel width
    c: int = 640            # SSRN width
    n_mels: int = 80
    n_fft: int = 2048
    sr: int = 22050
    hop_length: int = 276
    win_length: int = 1102
    power: float = 1.2      # magnitude exponent before Griffin-Lim
    max_db: float = 140
    ref_db: float = 20
    preemphasis: float = 0.97
    n_iter: int = 50        # Griffin-Lim iterations
    step_cap: int = DEEPSTORY_STEP_CAP   # most Text2Mel steps per sentence

    @property
    def f_prime(self) -> int:
        """Bins of the full magnitude spectrogram SSRN outputs."""
        return 1 + self.n_fft // 2


DEEPSTORY = HParams()
# pytorch-dc-tts defaults: narrower Text2Mel, 32-symbol vocab, other spectrogram scaling, max_T as the cap.
TUGSTUGI = HParams(vocab="PE abcdefghijklmnopqrstuvwxyz'.?", d=256, power=1.5, max_db=100, step_cap=210)
PRESETS = {"deepstory": DEEPSTORY, "tugstugi": TUGSTUGI, "pytorch-dc-tts": TUGSTUGI}

_FIELDS = {f.name: f.type for f in dataclasses.fields(HParams)}
_SUPPORTED_ARCHITECTURE = {"text2mel_normalization": "layer", "text2mel_basic_block": "gated_conv",
                           "ssrn_normalization": "weight", "ssrn_basic_block": "residual"}


def hparams_from_mapping(data: Mapping[str, Any], *, what: str = "hparams") -> HParams:
    """Build HParams from a mapping: optional `"preset"` (deepstory | tugstugi) then any field overrides.

    Also accepts the original HParams attribute names (nested under `"hparams"` as in the fixtures):
    `max_T` sets the step cap the way pytorch-dc-tts's synthesize.py uses it; unknown keys
    (learning rates, batch sizes, ...) are ignored because inference never reads them.
    """
    if "hparams" in data and isinstance(data["hparams"], Mapping):
        data = data["hparams"]
    for key, supported in _SUPPORTED_ARCHITECTURE.items():
        # Other block types load under the same key names, so a silent mismatch would give noise, not an error.
        if key in data and str(data[key]) != supported:
            raise CheckpointError(f"{what}: {key}={data[key]!r} is not supported (only {supported!r}, the "
                                  f"architecture of the Deepstory and pytorch-dc-tts voices)")
    preset_name = str(data.get("preset", "deepstory")).lower()
    if preset_name not in PRESETS:
        raise CheckpointError(f"{what}: unknown preset {preset_name!r}; use one of {sorted(PRESETS)}")
    values = dataclasses.asdict(PRESETS[preset_name])
    if "max_T" in data and "step_cap" not in data:
        values["step_cap"] = data["max_T"]
    for key, value in data.items():
        if key not in _FIELDS:
            continue
        try:
            kind = _FIELDS[key]
            values[key] = str(value) if kind in ("str", str) else int(value) if kind in ("int", int) else float(value)
        except (TypeError, ValueError):
            raise CheckpointError(f"{what}: {key} must be a number, got {value!r}") from None
    hp = HParams(**values)
    if len(hp.vocab) < 3 or hp.vocab[:2] != "PE" or len(set(hp.vocab)) != len(hp.vocab):
        raise CheckpointError(f"{what}: vocab must start with 'PE' (pad, end) and have no repeated symbols")
    if min(hp.e, hp.d, hp.c, hp.n_mels, hp.n_fft, hp.sr, hp.hop_length, hp.win_length, hp.step_cap) <= 0:
        raise CheckpointError(f"{what}: sizes must be positive")
    if hp.win_length > hp.n_fft:
        raise CheckpointError(f"{what}: win_length ({hp.win_length}) must not exceed n_fft ({hp.n_fft})")
    return hp


def read_hparams_file(path: str | Path) -> HParams:
    """Parse a voice folder's hparams.json."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, Mapping):
        raise CheckpointError(f"{path}: expected a JSON object of hparams")
    return hparams_from_mapping(data, what=str(path))
