"""FOM re-implementation vs the golden outputs of the original code (shared/fixtures/fom/case-tiny.npz).

Tolerances are the fixture README's: 1e-5 for keypoints/kp_norm/scale, 1e-4 for images and maps.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from modules.fom import load_checkpoint, load_config, normalize_kp
from modules.fom.normalize import movement_scale

SETTINGS = {"rel_adapt": True, "abs": False}
MAPS = ("prediction", "mask", "occlusion_map", "deformation", "sparse_deformed", "deformed")


@pytest.fixture(scope="module")
def case(fixtures_dir):
    return dict(np.load(fixtures_dir / "fom" / "case-tiny.npz"))


@pytest.fixture(scope="module")
def models(fixtures_dir):
    d = fixtures_dir / "fom"
    return load_checkpoint(d / "tiny-256.yaml", d / "tiny-cpk.pth.tar")


@pytest.fixture(scope="module")
def run(case, models):
    """Run the original make_animation loop's calls with our modules, keeping every output."""
    kp_detector, generator = models
    source = torch.from_numpy(case["source"])
    driving = torch.from_numpy(case["driving"])
    out: dict = {}
    with torch.no_grad():
        kp_source = kp_detector(source)
        kp_initial = kp_detector(driving[:, :, 0])
        out["kp_source"], out["kp_driving_initial"] = kp_source, kp_initial
        out["kp_driving"] = [kp_detector(driving[:, :, t]) for t in range(driving.shape[2])]
        for name, rel in SETTINGS.items():
            frames = []
            for kp_driving in out["kp_driving"]:
                kp_norm = normalize_kp(kp_source, kp_driving, kp_initial, adapt_movement_scale=rel,
                                       use_relative_movement=rel, use_relative_jacobian=rel)
                result = generator(source, kp_source=kp_source, kp_driving=kp_norm)
                frames.append((kp_norm, result))
            out[name] = frames
    return out


def _close(got: np.ndarray, want: np.ndarray, atol: float, what: str) -> None:
    assert got.shape == want.shape, what
    err = float(np.abs(got - want).max())
    assert err <= atol, f"{what}: max abs error {err:.3g} > {atol}"


def test_keypoints_match(run, case):
    for name in ("kp_source", "kp_driving_initial"):
        for part in ("value", "jacobian"):
            _close(run[name][part].numpy(), case[f"{name}__{part}"], 1e-5, f"{name}.{part}")
    for part in ("value", "jacobian"):
        got = np.concatenate([kp[part].numpy() for kp in run["kp_driving"]])
        _close(got, case[f"kp_driving__{part}"], 1e-5, f"kp_driving.{part}")


def test_movement_scale_is_sqrt_hull_area_ratio(run, case):
    scale = movement_scale(run["kp_source"], run["kp_driving_initial"])
    assert abs(scale - float(case["rel_adapt__adapt_movement_scale"])) <= 1e-5


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_normalized_keypoints_match(run, case, setting):
    for part in ("value", "jacobian"):
        got = np.concatenate([kp[part].numpy() for kp, _ in run[setting]])
        _close(got, case[f"{setting}__kp_norm__{part}"], 1e-5, f"{setting} kp_norm.{part}")


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_generator_outputs_match(run, case, setting):
    for key in MAPS:
        got = np.concatenate([result[key].numpy() for _, result in run[setting]])
        _close(got, case[f"{setting}__{key}"], 1e-4, f"{setting} {key}")


def test_relative_frame_zero_reproduces_source_keypoints(run):
    kp_norm, _ = run["rel_adapt"][0]
    assert torch.equal(kp_norm["value"], run["kp_source"]["value"])
    assert torch.allclose(kp_norm["jacobian"], run["kp_source"]["jacobian"], atol=1e-6)


def test_align_corners_flag_changes_warping(fixtures_dir, case, models):
    """The torch-1.0 grid_sample choice is wired through: same weights, visibly different output."""
    d = fixtures_dir / "fom"
    config = load_config(d / "tiny-256.yaml")
    assert config.align_corners is False
    kp_detector, generator = models
    _, generator_ac = load_checkpoint(config, d / "tiny-cpk.pth.tar", align_corners=True)
    source = torch.from_numpy(case["source"])
    with torch.no_grad():
        kp = kp_detector(source)
        plain = generator(source, kp_source=kp, kp_driving=kp)["prediction"]
        other = generator_ac(source, kp_source=kp, kp_driving=kp)["prediction"]
    assert float((plain - other).abs().max()) > 1e-3
