"""DCTTS checkpoint loading: full-size layouts, hparams choice, refusals with clear messages."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from modules.errors import CheckpointError
from modules.tts.dctts import DEEPSTORY, TUGSTUGI, hparams_from_mapping, load_voice
from modules.tts.dctts.ssrn import SSRN
from modules.tts.dctts.text2mel import Text2Mel


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def full_keys(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "dctts" / "full.keys.json").read_text())["configs"]


@pytest.mark.parametrize("config, hp", [("deepstory", DEEPSTORY), ("tugstugi", TUGSTUGI)])
def test_full_size_layout(full_keys: dict, config: str, hp):
    expected = full_keys[config]
    assert expected["hparams"]["vocab"] == hp.vocab and expected["hparams"]["d"] == hp.d
    with torch.device("meta"):          # real sizes without allocating ~550 MB
        models = {"t2m": Text2Mel(hp), "ssrn": SSRN(hp)}
    for part, model in models.items():
        ours = {k: (list(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in model.state_dict().items()}
        theirs = {e["key"]: (e["shape"], e["dtype"]) for e in expected[part]["keys"]}
        assert ours == theirs, part
        assert sum(v.numel() for v in model.state_dict().values()) == expected[part]["n_params"]


def _copy_tiny(fixtures_dir: Path, dest: Path, *, hparams: bool = True) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("t2m.pth", "ssrn.pth") + (("hparams.json",) if hparams else ()):
        shutil.copy(fixtures_dir / "dctts" / "tiny" / name, dest / name)
    return dest


def test_default_hparams_are_deepstorys_and_mismatch_is_explained(fixtures_dir: Path, tmp_path: Path):
    folder = _copy_tiny(fixtures_dir, tmp_path / "NoHparams", hparams=False)
    with pytest.raises(CheckpointError) as err:
        load_voice(folder, device="cpu")
    msg = str(err.value)
    assert "t2m.pth" in msg and "shape mismatches" in msg and "hparams.json" in msg and "d=512" in msg


def test_hparams_argument_and_presets(fixtures_dir: Path, tmp_path: Path):
    folder = _copy_tiny(fixtures_dir, tmp_path / "Arg", hparams=False)
    data = json.loads((fixtures_dir / "dctts" / "tiny" / "hparams.json").read_text())
    with load_voice(folder, device="cpu", hparams=data) as voice:
        assert (voice.hp.d, voice.hp.step_cap, voice.sample_rate) == (16, 40, 8000)
    assert hparams_from_mapping({"preset": "tugstugi"}) == TUGSTUGI
    assert hparams_from_mapping({"d": 256, "vocab": TUGSTUGI.vocab}).vocab == TUGSTUGI.vocab
    with pytest.raises(CheckpointError, match="preset"):
        hparams_from_mapping({"preset": "nope"})
    # Highway blocks load under the same key names as gated ones: refused instead of speaking noise.
    with pytest.raises(CheckpointError, match="text2mel_basic_block"):
        hparams_from_mapping({"text2mel_basic_block": "highway"})


def test_whole_module_pickle_is_refused(fixtures_dir: Path, tmp_path: Path):
    """A pickled nn.Module (how pytorch-dc-tts's published files probably are) never gets unpickled."""
    hp = hparams_from_mapping(json.loads((fixtures_dir / "dctts" / "tiny" / "hparams.json").read_text()))
    for zip_container in (True, False):
        folder = _copy_tiny(fixtures_dir, tmp_path / f"Module{zip_container}")
        torch.save(Text2Mel(hp), folder / "t2m.pth", _use_new_zipfile_serialization=zip_container)
        with pytest.raises(CheckpointError) as err:
            load_voice(folder, device="cpu")
        msg = str(err.value)
        assert "whole pickled" in msg and "Text2Mel" in msg              # what it is
        assert "arbitrary code" in msg                                   # why it is refused
        assert "torch.save({'state_dict': m.state_dict()}" in msg        # how to convert it


def test_other_bad_files(fixtures_dir: Path, tmp_path: Path):
    folder = _copy_tiny(fixtures_dir, tmp_path / "Bad")
    (folder / "ssrn.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="ssrn.pth"):
        load_voice(folder, device="cpu")
    torch.save({"epoch": 1}, folder / "ssrn.pth")
    with pytest.raises(CheckpointError, match="state_dict"):
        load_voice(folder, device="cpu")
    (folder / "ssrn.pth").unlink()
    with pytest.raises(CheckpointError, match="ssrn.pth"):
        load_voice(folder, device="cpu")
    with pytest.raises(CheckpointError, match="not found"):
        load_voice(tmp_path / "Missing", device="cpu")


def test_bare_state_dict_and_optimizer_ignored(fixtures_dir: Path, tmp_path: Path):
    folder = _copy_tiny(fixtures_dir, tmp_path / "Bare")
    ckpt = torch.load(folder / "t2m.pth", weights_only=True)
    assert set(ckpt) == {"epoch", "global_step", "state_dict", "optimizer"}
    torch.save(ckpt["state_dict"], folder / "t2m.pth")
    with load_voice(folder, device="cpu") as voice:
        ref = ckpt["state_dict"]["text_enc.embedding.embedding.weight"]
        assert torch.equal(voice.text2mel.text_enc.embedding.embedding.weight, ref)
    assert voice.text2mel is None     # freed on exit
