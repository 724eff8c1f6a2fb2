"""The plain per-frame loop, written like the original `demo.make_animation`: kp detector,
`normalize_kp` and the full generator for every frame at batch 1, nothing cached.

It is the baseline the animator is tested and benchmarked against.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import torch

from .generator import OcclusionAwareGenerator
from .keypoint_detector import KPDetector
from .normalize import normalize_kp


def reference_animation(kp_detector: KPDetector, generator: OcclusionAwareGenerator, source: torch.Tensor,
                        driving: Iterable[torch.Tensor], relative: bool = True,
                        adapt_movement_scale: bool = True, driving_initial: torch.Tensor | None = None
                        ) -> Iterator[torch.Tensor]:
    """source (1, 3, S, S) and driving frames (1, 3, S, S) in [0, 1] -> predictions (1, 3, S, S).

    `kp_driving_initial` comes from `driving_initial` when given, else from the first driving frame.
    """
    with torch.no_grad():
        kp_source = kp_detector(source)
        kp_initial = kp_detector(driving_initial) if driving_initial is not None else None
        for frame in driving:
            if kp_initial is None:
                kp_initial = kp_detector(frame)
            kp_driving = kp_detector(frame)
            kp_norm = normalize_kp(kp_source=kp_source, kp_driving=kp_driving, kp_driving_initial=kp_initial,
                                   use_relative_movement=relative, use_relative_jacobian=relative,
                                   adapt_movement_scale=adapt_movement_scale)
            yield generator(source, kp_source=kp_source, kp_driving=kp_norm)["prediction"]
