"""First Order Motion Model (Siarohin et al., 2019): a re-implementation that loads the published
checkpoints strictly and computes what the original code computes, plus a batched per-portrait animator.

The public API mirrors the original so scripts port easily:

    kp_detector, generator = load_checkpoint("data/fom/vox-256.yaml", "vox-cpk.pth.tar")
    kp_norm = normalize_kp(kp_source, kp_driving, kp_driving_initial, use_relative_movement=True, ...)
    out = generator(source, kp_source=kp_source, kp_driving=kp_norm)      # out["prediction"], ...

    with FomAnimator("data/fom/vox-256.yaml", "vox-cpk.pth.tar") as animator:
        for frame in animator.animate(source_256_uint8, driving_frames): ...

Files: blocks (shared layers, grids, warping), keypoint_detector, dense_motion, generator, normalize,
config (original YAML format), loading (strict checkpoint loading), fused (inference-only block rewrites),
driving (device-side driving-frame preparation), animator, reference (the original-style per-frame loop),
best_frame; training (FomTraining: fine-tuning as the original train.py, with discriminator, tps, vgg,
pyramid, losses) and reconstruction (the original evaluation metric).
"""
from .animator import FomAnimator, PreparedSource
from .best_frame import best_mesh_index, find_best_frame
from .blocks import make_coordinate_grid
from .config import FomConfig, load_config
from .dense_motion import DenseMotionNetwork
from .driving import fit_geometry, prepare_driving
from .generator import OcclusionAwareGenerator
from .keypoint_detector import KPDetector
from .loading import build_models, load_checkpoint
from .normalize import normalize_kp
from .reconstruction import reconstruct
from .reference import reference_animation

__all__ = ["best_mesh_index", "DenseMotionNetwork", "FomAnimator", "FomConfig", "KPDetector", "OcclusionAwareGenerator",
           "PreparedSource", "build_models", "find_best_frame", "fit_geometry", "load_checkpoint", "load_config",
           "make_coordinate_grid", "normalize_kp", "prepare_driving", "reconstruct", "reference_animation"]
