"""Full-size vox-256 / vox-adv-256 layouts and strict, safe checkpoint loading.

Our YAML configs must build modules whose state dicts equal the original's key by key (names, shapes,
dtypes, parameter/buffer kind, order) as recorded in shared/fixtures/fom/*.keys.json, and a checkpoint
written in the original `Logger.save_cpk` layout must load, in both torch serialization formats.
"""
from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
import torch

from modules.errors import CheckpointError
from modules.fom import build_models, load_checkpoint, load_config

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {"vox-256": REPO / "data" / "fom" / "vox-256.yaml", "vox-adv-256": REPO / "data" / "fom" / "vox-adv-256.yaml"}


def _layout(module: torch.nn.Module) -> list[tuple]:
    params = {name for name, _ in module.named_parameters()}
    return [(k, list(v.shape), str(v.dtype).removeprefix("torch."), "parameter" if k in params else "buffer")
            for k, v in module.state_dict().items()]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_full_size_layout_matches_original(fixtures_dir, name):
    ref = json.loads((fixtures_dir / "fom" / f"{name}.keys.json").read_text())
    config = load_config(CONFIGS[name])
    assert config.raw["model_params"] == ref["model_params"]
    kp_detector, generator = build_models(config)
    for part, module in (("generator", generator), ("kp_detector", kp_detector)):
        want = [(e["key"], e["shape"], e["dtype"], e["kind"]) for e in ref["models"][part]["state_dict"]]
        assert _layout(module) == want, part
        assert sum(p.numel() for p in module.parameters()) == ref["models"][part]["num_parameters"]
        assert [n for n, _ in module.named_parameters()] == ref["models"][part]["optimizer_param_order"]


def _original_layout_checkpoint(fixtures_dir: Path) -> dict:
    """A random full-size vox-256 checkpoint laid out as the original Logger.save_cpk writes it."""
    ref = json.loads((fixtures_dir / "fom" / "vox-256.keys.json").read_text())
    torch.manual_seed(0)
    kp_detector, generator = build_models(load_config(CONFIGS["vox-256"]))
    with torch.no_grad():
        for module in (kp_detector, generator):
            for name, buf in module.named_buffers():
                if name.endswith("running_var"):
                    buf.uniform_(0.5, 1.5)
                elif name.endswith("running_mean"):
                    buf.normal_(0, 0.1)
    # The discriminator is training-only; only its layout matters here.
    disc = collections.OrderedDict(
        (e["key"], torch.zeros(e["shape"], dtype=getattr(torch, e["dtype"])))
        for e in ref["models"]["discriminator"]["state_dict"])

    def adam(params):
        return torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999)).state_dict()

    return {"generator": generator.state_dict(), "discriminator": disc, "kp_detector": kp_detector.state_dict(),
            "optimizer_generator": adam(generator.parameters()),
            "optimizer_discriminator": adam([torch.nn.Parameter(t.clone()) for t in disc.values()]),
            "optimizer_kp_detector": adam(kp_detector.parameters()), "epoch": 70}


@pytest.fixture(scope="module")
def full_checkpoint(fixtures_dir, tmp_path_factory):
    state = _original_layout_checkpoint(fixtures_dir)
    ref = json.loads((fixtures_dir / "fom" / "vox-256.keys.json").read_text())
    assert list(state) == ref["checkpoint_top_level_keys"]
    folder = tmp_path_factory.mktemp("fom-cpk")
    legacy, modern = folder / "vox-cpk-legacy.pth.tar", folder / "vox-cpk-zip.pth.tar"
    torch.save(state, legacy, _use_new_zipfile_serialization=False)
    torch.save(state, modern)
    return state, legacy, modern


@pytest.mark.parametrize("fmt", ["legacy", "zip"])
def test_random_full_size_checkpoint_loads(full_checkpoint, fmt):
    state, legacy, modern = full_checkpoint
    path = legacy if fmt == "legacy" else modern
    with open(path, "rb") as f:
        assert (f.read(2) == b"PK") == (fmt == "zip")
    kp_detector, generator = load_checkpoint(CONFIGS["vox-256"], path)
    assert not generator.training and not kp_detector.training
    for key in ("bottleneck.r5.conv2.weight", "dense_motion_network.hourglass.decoder.up_blocks.4.norm.running_var",
                "up_blocks.1.norm.running_mean"):
        assert torch.equal(generator.state_dict()[key], state["generator"][key]), key
    assert torch.equal(kp_detector.state_dict()["jacobian.weight"], state["kp_detector"]["jacobian.weight"])


def test_tiny_fixture_checkpoint_loads_and_absent_num_batches_tracked_is_tolerated(fixtures_dir, tmp_path):
    d = fixtures_dir / "fom"
    state = torch.load(d / "tiny-cpk.pth.tar", weights_only=True)
    for part in ("generator", "kp_detector"):
        state[part] = {k: v for k, v in state[part].items() if not k.endswith("num_batches_tracked")}
    path = tmp_path / "old.pth.tar"
    torch.save(state, path)
    kp_detector, _ = load_checkpoint(d / "tiny-256.yaml", path)
    assert torch.equal(kp_detector.kp.weight, torch.load(d / "tiny-cpk.pth.tar", weights_only=True)["kp_detector"]["kp.weight"])


def test_mismatched_checkpoint_lists_keys_and_shapes(fixtures_dir, tmp_path):
    d = fixtures_dir / "fom"
    path = tmp_path / "edited.pth.tar"
    state = torch.load(d / "tiny-cpk.pth.tar", weights_only=True)
    del state["generator"]["final.bias"]
    state["generator"]["extra.weight"] = torch.zeros(1)
    state["generator"]["bottleneck.r1.conv2.weight"] = torch.zeros(32, 32, 1, 1)
    torch.save(state, path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(d / "tiny-256.yaml", path)
    msg = str(err.value)
    assert str(path) in msg and "[generator]" in msg
    assert "missing keys: final.bias" in msg and "unexpected keys: extra.weight" in msg
    assert "bottleneck.r1.conv2.weight: file (32, 32, 1, 1) vs model (32, 32, 3, 3)" in msg


def test_tiny_checkpoint_against_full_size_config_fails(fixtures_dir):
    with pytest.raises(CheckpointError, match=r"shape mismatches: .*file \(16, 44, 3, 3\) vs model \(128, 44, 3, 3\)"):
        load_checkpoint(CONFIGS["vox-256"], fixtures_dir / "fom" / "tiny-cpk.pth.tar")


def test_checkpoint_without_model_entries_is_refused(tmp_path, fixtures_dir):
    path = tmp_path / "weights.pth"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(CheckpointError, match="no 'generator' and 'kp_detector'"):
        load_checkpoint(fixtures_dir / "fom" / "tiny-256.yaml", path)


class Payload:
    """Stands in for anything that unpickles by running code."""


def test_checkpoint_needing_arbitrary_pickle_is_refused(tmp_path, fixtures_dir):
    path = tmp_path / "evil.pth.tar"
    state = torch.load(fixtures_dir / "fom" / "tiny-cpk.pth.tar", weights_only=True)
    state["epoch"] = Payload()
    torch.save(state, path)
    with pytest.raises(CheckpointError, match="refusing to load FOM checkpoint"):
        load_checkpoint(fixtures_dir / "fom" / "tiny-256.yaml", path)


def test_missing_checkpoint_names_the_file(tmp_path, fixtures_dir):
    with pytest.raises(CheckpointError, match="not found: .*nope.pth.tar"):
        load_checkpoint(fixtures_dir / "fom" / "tiny-256.yaml", tmp_path / "nope.pth.tar")
