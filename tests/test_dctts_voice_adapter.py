"""The `dctts:<folder>` voice of the story pipeline, with the tiny golden voice."""
from __future__ import annotations

import hashlib

import shutil
from pathlib import Path

import numpy as np
import pytest

from deepstory.errors import VoiceError
from deepstory.voices import resolve_voice
from deepstory.voices.dctts import DcttsVoice, list_dctts_voices


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture()
def data_dir(fixtures_dir: Path, tmp_path: Path) -> Path:
    """A data/ folder with data/dctts/Tiny (the golden tiny voice) and an incomplete voice."""
    voice = tmp_path / "data" / "dctts" / "Tiny"
    shutil.copytree(fixtures_dir / "dctts" / "tiny", voice)
    (tmp_path / "data" / "dctts" / "Broken").mkdir()
    (tmp_path / "data" / "dctts" / "Broken" / "t2m.pth").write_bytes(b"")
    return tmp_path / "data"


def test_synthesizes_with_the_tiny_voice(data_dir: Path, fixtures_dir: Path):
    voice = resolve_voice("dctts:Tiny", base_dir=data_dir.parent / "stories", data_dir=data_dir)
    assert isinstance(voice, DcttsVoice) and voice.kind == "dctts"
    case = np.load(fixtures_dir / "dctts" / "case-tiny.npz")
    with voice:
        speech = voice.synthesize(str(case["text"]))
        again = voice.synthesize("Hello there!")
        assert voice._voice is not None          # loaded once for the whole `with`
    assert voice._voice is None                  # freed after
    assert speech.sample_rate == 8000 and speech.phonemes is None
    assert speech.audio.dtype == np.float32 and len(speech.audio) == len(case["wav"])
    assert np.abs(speech.audio * 32768 - case["wav"]).max() <= 8
    assert len(again.audio) > 0 and np.abs(again.audio).max() <= 1.0
    # Outside `with` it still works (loads for the call).
    assert np.array_equal(voice.synthesize("Hello there!").audio, again.audio)


def test_spec_forms_and_cache_key(data_dir: Path, tmp_path: Path):
    by_name = DcttsVoice("dctts:Tiny", data_dir=data_dir)
    by_repo_path = DcttsVoice("dctts:data/dctts/Tiny", base_dir=tmp_path, data_dir=data_dir)
    absolute = DcttsVoice(f"dctts:{data_dir / 'dctts' / 'Tiny'}")
    assert by_name.folder == by_repo_path.folder == absolute.folder
    key = by_name.cache_key()
    # one identity rule for model files: their content's sha256 (a copy elsewhere gets the same key)
    folder = data_dir / "dctts" / "Tiny"
    assert key == absolute.cache_key() and "hparams" in key
    assert key["t2m"] == hashlib.sha256((folder / "t2m.pth").read_bytes()).hexdigest()
    assert key["ssrn"] == hashlib.sha256((folder / "ssrn.pth").read_bytes()).hexdigest()
    (data_dir / "dctts" / "Tiny" / "hparams.json").write_text('{"hparams": {"d": 16, "e": 12}}')
    assert by_name.cache_key() != key


def test_clear_errors_for_bad_folders(data_dir: Path):
    with pytest.raises(VoiceError, match=r"not found.*data/dctts/<Name>"):
        DcttsVoice("dctts:Nobody", data_dir=data_dir)
    with pytest.raises(VoiceError, match=r"no ssrn\.pth"):
        DcttsVoice("dctts:Broken", data_dir=data_dir)
    with pytest.raises(VoiceError, match="names no folder"):
        DcttsVoice("dctts:", data_dir=data_dir)
    # A folder whose checkpoints do not match: the error comes when the voice loads, as a VoiceError.
    shutil.copy(data_dir / "dctts" / "Tiny" / "ssrn.pth", data_dir / "dctts" / "Broken" / "ssrn.pth")
    voice = DcttsVoice("dctts:Broken", data_dir=data_dir)
    with pytest.raises(VoiceError, match="cannot load DCTTS voice"):
        with voice:
            pass


def test_listing(data_dir: Path, tmp_path: Path):
    assert list_dctts_voices(data_dir / "dctts") == ["dctts:Tiny"]
    assert list_dctts_voices(tmp_path / "nowhere") == []
