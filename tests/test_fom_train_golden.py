"""FOM training step vs two iterations of the original code (shared/fixtures/fom-train, see its README).

Float64: losses, generated maps and keypoints within rtol 1e-7 (atol 1e-12); every state entry within rtol 1e-7
with an absolute floor of 1e-8 x the array's largest entry (a few near-zero weights); gradients
within 1e-7 * max|golden| + 1e-12 per array. Float32: iteration-0 losses within 1e-4 relative, the prediction within float32 noise (see the test).
The checkpoint a run writes has the original Logger.save_cpk layout, key for key.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from modules.fom import load_checkpoint
from modules.fom.training import CHECKPOINT_KEYS, FomTraining, TpsTransform
from modules.fom.vgg import seeded_vgg19_state

LOSSES = ("perceptual", "gen_gan", "feature_matching", "equivariance_value", "equivariance_jacobian", "disc_gan")
GENERATED = ("prediction", "transformed_frame", "occlusion_map", "mask")
KEYPOINTS = ("kp_source", "kp_driving", "transformed_kp")


@pytest.fixture(scope="module")
def train_dir(fixtures_dir):
    return fixtures_dir / "fom-train"


@pytest.fixture(scope="module")
def golden(train_dir):
    with np.load(train_dir / "case-train-f64.npz") as npz:
        return {k: npz[k] for k in npz.files}


def _trainer(train_dir, fixtures_dir, dtype):
    return FomTraining(train_dir / "tiny-train.yaml", fixtures_dir / "fom" / "tiny-cpk.pth.tar",
                       vgg_state=seeded_vgg19_state(), device="cpu", dtype=dtype)


def _inputs(case, it):
    p = f"it{it}/"
    batch = {"source": torch.from_numpy(case[p + "source"]), "driving": torch.from_numpy(case[p + "driving"])}
    return batch, TpsTransform(torch.from_numpy(case[p + "transform_noise"]),
                               torch.from_numpy(case[p + "transform_control_params"]))


@pytest.fixture(scope="module")
def f64_run(train_dir, fixtures_dir, golden, one_torch_thread):
    """Two float64 iterations; per iteration: losses, generated, a copy of the state dicts, gradients."""
    trainer = _trainer(train_dir, fixtures_dir, torch.float64)
    trainer.record_gradients = True
    runs = []
    for it in (0, 1):
        batch, transform = _inputs(golden, it)
        losses, generated = trainer.step(batch, transform)
        states = {net: {k: v.clone() for k, v in sd.items()} for net, sd in trainer.state_dicts().items()}
        runs.append({"losses": losses, "generated": generated, "states": states, "grads": trainer.gradients})
    return runs


def _close(ours, golden, rtol=1e-7, atol=1e-12):
    ours = ours.detach().cpu().numpy() if torch.is_tensor(ours) else np.asarray(ours)
    np.testing.assert_allclose(ours, golden, rtol=rtol, atol=atol)


@pytest.mark.parametrize("it", [0, 1])
def test_losses_match_the_original_in_float64(f64_run, golden, it):
    losses = f64_run[it]["losses"]
    assert set(losses) == set(LOSSES)
    for name in LOSSES:
        _close(losses[name], golden[f"it{it}/loss/{name}"])


@pytest.mark.parametrize("it", [0, 1])
def test_generated_and_keypoints_match_in_float64(f64_run, golden, it):
    gen = f64_run[it]["generated"]
    for name in GENERATED:
        _close(gen[name], golden[f"it{it}/generated/{name}"])
    for name in KEYPOINTS:
        for part in ("value", "jacobian"):
            _close(gen[name][part], golden[f"it{it}/{name}/{part}"])


@pytest.mark.parametrize("it", [0, 1])
def test_every_state_entry_matches_after_each_iteration(f64_run, golden, it):
    for net, state in f64_run[it]["states"].items():
        prefix = f"it{it}/state/{net}/"
        expected = {k[len(prefix):] for k in golden if k.startswith(prefix)}
        floating = {k for k, v in state.items() if v.is_floating_point()}
        assert floating == expected, f"{net}: state keys differ: {sorted(floating ^ expected)[:5]}"
        for key in expected:
            ref = golden[prefix + key]
            # Element-wise rtol 1e-7; the absolute floor scales with the array (1e-8 of its largest entry):
            # after one Adam step a handful of near-zero weights differ by ~1e-10 (ill-conditioned kp grads).
            _close(state[key], ref, atol=1e-12 + 1e-8 * np.abs(ref).max())


@pytest.mark.parametrize("it", [0, 1])
def test_gradients_match_per_array(f64_run, golden, it):
    grads = f64_run[it]["grads"]
    assert set(grads) == {"generator", "kp_detector", "discriminator"}
    for net, arrays in grads.items():
        prefix = f"it{it}/grad/{net}/"
        expected = {k[len(prefix):] for k in golden if k.startswith(prefix)}
        assert set(arrays) == expected, f"{net}: gradient names differ: {sorted(set(arrays) ^ expected)[:5]}"
        scale = max(np.abs(golden[prefix + k]).max() for k in expected)
        for key in expected:
            ref = golden[prefix + key]
            ours = arrays[key].numpy()
            if np.abs(ref).max() < 1e-9 * scale:
                # Zero in theory (a conv bias feeding a norm layer, the softmax's shift-invariant kp.bias):
                # both sides are rounding noise, so ours must be noise-sized too.
                assert np.abs(ours).max() < 1e-9 * scale, f"{net}.{key}: should be ~0, is {np.abs(ours).max()}"
                continue
            err = np.abs(ours - ref).max()
            assert err <= 1e-7 * np.abs(ref).max() + 1e-12, f"{net}.{key}: gradient off by {err}"


def test_float32_first_iteration_is_within_1e4(train_dir, fixtures_dir, golden, one_torch_thread):
    with np.load(train_dir / "case-train-f32-it0.npz") as npz:
        ref = {k: npz[k] for k in npz.files}
    trainer = _trainer(train_dir, fixtures_dir, torch.float32)
    batch, transform = _inputs(golden, 0)
    batch = {k: v.float() for k, v in batch.items()}
    losses, generated = trainer.step(batch, transform)
    assert generated["prediction"].dtype == torch.float32
    for name in LOSSES:
        _close(losses[name], ref[f"it0/loss/{name}"], rtol=1e-4, atol=0)
    # The prediction: float32 rounding through the temperature-0.1 keypoint softmax moves a few pixels by
    # ~2e-4 (the original's own float32 run is 2.4e-4 from its float64 run), so: mean error 1e-4, max 5e-4,
    # both against the original's float32 output and its float64 one.
    pred = generated["prediction"].detach().numpy()
    for reference in (ref["it0/generated/prediction"], golden["it0/generated/prediction"]):
        err = np.abs(pred - reference)
        assert err.mean() < 1e-4 and err.max() < 5e-4, (err.mean(), err.max())


def test_checkpoint_layout_matches_the_original_and_loads(train_dir, fixtures_dir, golden, tmp_path,
                                                          one_torch_thread):
    trainer = _trainer(train_dir, fixtures_dir, torch.float32)
    assert trainer.epoch == 70                       # resumed from the fixture checkpoint
    for it in (0, 1):
        batch, transform = _inputs(golden, it)
        trainer.step({k: v.float() for k, v in batch.items()}, transform)
    path = tmp_path / "00000071-checkpoint.pth.tar"
    trainer.save_checkpoint(path, 71)
    ours = torch.load(path, weights_only=True)
    ref = torch.load(train_dir / "after-2-iterations-f32.pth.tar", weights_only=True)
    assert list(ours) == list(ref) == list(CHECKPOINT_KEYS)
    assert ours["epoch"] == ref["epoch"] == 71
    for net in ("generator", "discriminator", "kp_detector"):
        assert list(ours[net]) == list(ref[net]), net
        for key, value in ref[net].items():
            assert ours[net][key].shape == value.shape and ours[net][key].dtype == value.dtype, (net, key)
    for opt in ("optimizer_generator", "optimizer_discriminator", "optimizer_kp_detector"):
        assert ours[opt]["param_groups"][0].keys() == ref[opt]["param_groups"][0].keys()
        assert ours[opt]["param_groups"][0]["params"] == ref[opt]["param_groups"][0]["params"]
        assert ours[opt]["state"].keys() == ref[opt]["state"].keys()
        for idx, state in ref[opt]["state"].items():
            assert float(ours[opt]["state"][idx]["step"]) == float(state["step"]) == 3.0
            for name in ("exp_avg", "exp_avg_sq"):
                assert ours[opt]["state"][idx][name].shape == state[name].shape
    kp_detector, generator = load_checkpoint(train_dir / "tiny-train.yaml", path, device="cpu")
    assert torch.equal(generator.state_dict()["final.weight"], ours["generator"]["final.weight"])
    # The trained weights moved away from the starting checkpoint.
    start = torch.load(fixtures_dir / "fom" / "tiny-cpk.pth.tar", weights_only=True)
    assert not torch.equal(start["generator"]["final.weight"], ours["generator"]["final.weight"])


@pytest.mark.parametrize("name, epochs, milestones, batch, gan", [("vox-256", 100, [60, 90], 40, 0),
                                                                  ("vox-adv-256", 150, [], 36, 1)])
def test_shipped_configs_carry_the_published_train_params(name, epochs, milestones, batch, gan):
    from pathlib import Path

    from modules.fom import load_config
    from modules.fom.training import parse_train_params
    config = load_config(Path(__file__).resolve().parents[1] / "data" / "fom" / f"{name}.yaml")
    p = parse_train_params(config.raw["train_params"])
    assert (p.num_epochs, p.num_repeats, p.epoch_milestones, p.batch_size) == (epochs, 75, milestones, batch)
    assert (p.lr_generator, p.lr_discriminator, p.lr_kp_detector) == (2e-4, 2e-4, 2e-4)
    assert p.scales == [1, 0.5, 0.25, 0.125] and p.checkpoint_freq == 50
    assert p.transform_params == {"sigma_affine": 0.05, "sigma_tps": 0.005, "points_tps": 5}
    assert p.loss_weights == {"generator_gan": gan, "discriminator_gan": 1, "feature_matching": [10] * 4,
                              "perceptual": [10] * 5, "equivariance_value": 10, "equivariance_jacobian": 10}
    assert config.raw["dataset_params"]["id_sampling"] is True
