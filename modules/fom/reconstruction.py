"""Reconstruction evaluation (the original `reconstruction.py` metric, the standard FOM benchmark):
animate frame 0 of a video with the video's own frames and measure the L1 error per frame."""
from __future__ import annotations

import torch

from ..errors import ModelInputError
from .generator import OcclusionAwareGenerator
from .keypoint_detector import KPDetector


def reconstruct(kp_detector: KPDetector, generator: OcclusionAwareGenerator, video: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """video (1, 3, T, H, W) in [0, 1] -> (predictions (T, 3, H, W), l1_per_frame (T,)).

    Absolute keypoints (no relative motion), source = frame 0, its keypoints computed once; the models
    are used in whatever mode they are in (eval for the standard metric).
    """
    if video.dim() != 5 or video.shape[0] != 1:
        raise ModelInputError(f"reconstruct expects a (1, 3, T, H, W) video, got {tuple(video.shape)}")
    predictions, l1 = [], []
    with torch.no_grad():
        source = video[:, :, 0]
        kp_source = kp_detector(source)
        for t in range(video.shape[2]):
            driving = video[:, :, t]
            out = generator(source, kp_source=kp_source, kp_driving=kp_detector(driving))
            predictions.append(out["prediction"][0])
            l1.append((out["prediction"] - driving).abs().mean())
    return torch.stack(predictions), torch.stack(l1)
