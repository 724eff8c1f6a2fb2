"""A story with one DCTTS voice (the tiny golden fixture) and one espeak voice renders end to end."""
from __future__ import annotations

import pytest

import json

from deepstory.media import probe

from storyfiles import make_story_dir, run_cli


@pytest.mark.slow
def test_two_speakers_dctts_and_espeak(tmp_path, fixtures_dir):
    voice = fixtures_dir / "dctts" / "tiny"
    story = make_story_dir(tmp_path / "s", "Tiny: hello world.\nEileen | And a human voice answers.\n",
                           speakers={"Tiny": {"voice": f"dctts:{voice}", "portrait": "hopper.jpg"},
                                     "Eileen": {"voice": "espeak:en-gb+f3", "portrait": "astronaut.jpg"}})
    out = tmp_path / "out"
    res = run_cli(str(story), "-o", str(out), "--cache", str(tmp_path / "cache"), "--quiet")
    assert res.returncode == 0, res.stderr
    info = probe(out / "tale.mp4")
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert abs(info.video_seconds - info.audio_seconds) < 0.040
    timeline = json.loads((out / "timeline.json").read_text())
    assert [s["speaker"] for s in timeline["sentences"]] == ["Tiny", "Eileen"]
    tiny = timeline["sentences"][0]
    assert tiny["end"] > tiny["start"]

    res = run_cli("voices")
    assert res.returncode == 0


def test_missing_dctts_voice_folder_is_a_clear_error(tmp_path):
    story = make_story_dir(tmp_path / "s", "Geralt: Hmm.\n",
                           speakers={"Geralt": {"voice": "dctts:voices/Geralt", "portrait": "hopper.jpg"}})
    res = run_cli(str(story), "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "Geralt" in res.stderr and "error:" in res.stderr
