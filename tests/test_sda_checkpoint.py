"""SDA `.dat` loading: weights_only + a small numpy allow-list; GPU-tagged legacy files load on CPU;
files needing arbitrary code, or not matching the model, are refused with a CheckpointError."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from modules.errors import CheckpointError
from modules.sda import SdaModel, numpy_allow_list, read_sda_file


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))      # would create the marker file if unpickled


def test_legacy_file_needs_the_numpy_allow_list(fixtures_dir):
    path = fixtures_dir / "sda" / "tiny.dat"
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, map_location="cpu", weights_only=True)          # plain weights_only refuses numpy
    with torch.serialization.safe_globals(numpy_allow_list()):
        raw = torch.load(path, map_location="cpu", weights_only=True)
    assert raw["img_size"] == (16, 12) and isinstance(raw["mean_face"], np.ndarray)
    assert raw["encoder"]["rnn.weight_hh_l0"].device.type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only failure mode of cuda:0 tags")
def test_gpu_location_tags_need_map_location(fixtures_dir):
    with torch.serialization.safe_globals(numpy_allow_list()), pytest.raises(RuntimeError, match="CUDA"):
        torch.load(fixtures_dir / "sda" / "tiny.dat", weights_only=True)
    meta, states = read_sda_file(fixtures_dir / "sda" / "tiny.dat")
    assert all(t.device.type == "cpu" for s in states.values() for t in s.values())


def test_arbitrary_code_pickle_is_refused(tmp_path):
    marker = tmp_path / "ran"
    bad = tmp_path / "evil.dat"
    torch.save({"img_size": (16, 12), "payload": _RunsCode(marker)}, bad, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="refusing"):
        SdaModel(bad)
    assert not marker.exists()


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        SdaModel(tmp_path / "grid.dat")
    other = tmp_path / "other.dat"
    torch.save({"weight": torch.zeros(3)}, other)
    with pytest.raises(CheckpointError, match="encoder"):
        SdaModel(other)


def test_resaved_file_with_wrong_meta_is_refused(fixtures_dir, tmp_path):
    meta, states = read_sda_file(fixtures_dir / "sda" / "tiny.dat")
    raw = {**{k: getattr(meta, k) for k in meta.__dataclass_fields__}, **states}
    good = tmp_path / "resaved.dat"                  # zip format, numpy-2 pickle names
    torch.save(raw, good)
    assert SdaModel(good).aud_enc_dim == 32
    bad = tmp_path / "wrong.dat"
    torch.save({**raw, "aud_enc_dim": 40}, bad)
    with pytest.raises(CheckpointError, match="shape mismatches"):
        SdaModel(bad)
    torch.save({**raw, "audio_feat_samples": 7999}, bad)
    with pytest.raises(CheckpointError, match="audio_feat_samples"):
        SdaModel(bad)
