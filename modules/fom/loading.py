"""Building the models from a config and loading a checkpoint in the original layout.

The original `Logger.save_cpk` writes `{generator, discriminator, kp_detector, optimizer_*, epoch}`;
inference needs only `generator` and `kp_detector`, loaded strictly (every key and shape).
"""
from __future__ import annotations

import os
from typing import Any


from ..checkpoint import load_state_strict, load_untrusted, pick_device
from ..errors import CheckpointError
from .config import FomConfig, load_config
from .generator import OcclusionAwareGenerator
from .keypoint_detector import KPDetector


def build_models(config: FomConfig, *, align_corners: bool | None = None
                 ) -> tuple[KPDetector, OcclusionAwareGenerator]:
    """Randomly initialised (kp_detector, generator) for `config`, in eval mode, on the CPU."""
    ac = config.align_corners if align_corners is None else align_corners
    kp_detector = KPDetector(**config.kp_detector_params, **config.common_params)
    generator = OcclusionAwareGenerator(**config.generator_params, **config.common_params, align_corners=ac)
    return kp_detector.eval(), generator.eval()


def load_checkpoint(config_path: str | os.PathLike | FomConfig, checkpoint_path: str | os.PathLike,
                    device: Any = None, *, align_corners: bool | None = None
                    ) -> tuple[KPDetector, OcclusionAwareGenerator]:
    """(kp_detector, generator) built from the YAML config, weights from the checkpoint, in eval mode.

    Loading is strict (absent `num_batches_tracked` buffers are tolerated) and uses
    `torch.load(weights_only=True)`; both the legacy and the zip serialization load.
    """
    config = config_path if isinstance(config_path, FomConfig) else load_config(config_path)
    kp_detector, generator = build_models(config, align_corners=align_corners)
    path = os.fspath(checkpoint_path)
    state = load_untrusted(path, map_location="cpu", what="FOM checkpoint")
    if not isinstance(state, dict) or not {"generator", "kp_detector"} <= set(state):
        keys = list(state)[:10] if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(f"FOM checkpoint {path} has no 'generator' and 'kp_detector' entries (found {keys}); "
                              "expected a first-order-model checkpoint such as vox-cpk.pth.tar")
    load_state_strict(generator, state["generator"], what=f"FOM checkpoint {path} [generator]")
    load_state_strict(kp_detector, state["kp_detector"], what=f"FOM checkpoint {path} [kp_detector]")
    dev = pick_device(device)
    return kp_detector.to(dev).eval(), generator.to(dev).eval()
