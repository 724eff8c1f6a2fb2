"""First Order Motion Model (Siarohin et al., 2019): a re-implementation that loads the published
checkpoints strictly and computes what the original code computes, plus a batched per-portrait animator.

Public API mirrors the original so scripts port easily:

    kp_detector, generator = load_checkpoint("data/fom/vox-256.yaml", "vox-cpk.pth.tar")
    with FomAnimator("data/fom/vox-256.yaml", "vox-cpk.pth.tar") as animator:
        for frame in animator.animate(source, driving_frames): ...
"""
from .blocks import make_coordinate_grid
from .config import FomConfig, load_config
from .dense_motion import DenseMotionNetwork
from .generator import OcclusionAwareGenerator
from .keypoint_detector import KPDetector
from .loading import build_models, load_checkpoint
from .normalize import normalize_kp

__all__ = ["DenseMotionNetwork", "FomConfig", "KPDetector", "OcclusionAwareGenerator", "build_models",
           "load_checkpoint", "load_config", "make_coordinate_grid", "normalize_kp"]

from .animator import FomAnimator, PreparedSource  # noqa: E402  (after the model imports it builds on)
from .driving import fit_geometry, prepare_driving  # noqa: E402
from .reference import reference_animation  # noqa: E402

__all__ += ["FomAnimator", "PreparedSource", "fit_geometry", "prepare_driving", "reference_animation"]
