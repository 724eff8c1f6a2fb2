"""Full-size structure: the reconstructed GRID model built from its meta values has exactly the published
file's keys, shapes and dtypes (grid.keys.json), and the audio-conv plan follows the meta values."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from modules.sda import SdaMeta, SdaNetworks
from modules.sda.plan import plan_audio_encoder, plan_image, prime_factors


@pytest.fixture(scope="module")
def grid(fixtures_dir):
    return json.loads((fixtures_dir / "sda" / "grid.keys.json").read_text())


def grid_meta(grid, **change) -> SdaMeta:
    values = {k: v["value"] for k, v in grid["meta"].items() if k != "mean_face"}
    values.update(change)
    values["img_size"] = tuple(values["img_size"])
    return SdaMeta(mean_face=np.zeros((68, 2), np.float32), **values)


def test_grid_size_model_matches_every_key_shape_dtype(grid):
    with torch.device("meta"):                      # shapes only: no 221 MB allocation
        nets = SdaNetworks(grid_meta(grid))
    for part in ("encoder", "encoder_id", "generator"):
        expected = [(e["key"], tuple(e["shape"]), e["dtype"]) for e in grid["state_dict"][part]]
        got = [(k, tuple(v.shape), str(v.dtype).replace("torch.", ""))
               for k, v in getattr(nets, part).state_dict().items()]
        assert got == expected, part
        n_float = sum(v.numel() for v in getattr(nets, part).state_dict().values() if v.dtype == torch.float32)
        assert n_float == grid["param_counts_float32"][part]


def test_audio_plan_from_meta_values(grid):
    plan = plan_audio_encoder(40000, 0.2)
    layers = grid["derived"]["audio_encoder_layers"]
    assert [(c.in_ch, c.out_ch, c.kernel, c.stride, c.padding) for c in plan.convs] == \
        [(x["in_ch"], x["out_ch"], x["kernel"], x["stride"], x["padding"]) for x in layers[:-1]]
    assert (plan.final_in_ch, plan.final_kernel) == (layers[-1]["in_ch"], layers[-1]["kernel"])
    assert [c.stride for c in plan.convs] + [grid["derived"]["audio_encoder_strides"][-1]] == \
        grid["derived"]["audio_encoder_strides"]
    # The other published models differ only in the first conv (16 x int(0.005 * rate) taps).
    for name, rate in (("crema.dat", 16000), ("timit.dat", 48000)):
        first = plan_audio_encoder(rate, 0.2).convs[0]
        assert [first.out_ch, first.in_ch, first.kernel] == grid["other_published_models_same_layout"][name][
            "encoder.encoder.cl.0.weight"]
    alt = grid["if_audio_rate_were_50000"]
    assert plan_audio_encoder(50000, 0.2).convs[0].kernel == alt["encoder.encoder.cl.0.weight"][2]
    assert prime_factors(200) == [2, 2, 2, 5, 5]


def test_image_plan(grid):
    plan = plan_image((128, 96))
    assert list(plan.channels) == grid["derived"]["identity_encoder_channels"]
    assert list(plan.final_size) == grid["derived"]["identity_encoder_final_kernel"]
    assert list(plan.init_size) == grid["derived"]["generator_init_size"]
    assert plan.n_unet == 4
