"""End to end through the command line: a 3-speaker story becomes a browser-ready MP4 with subtitles."""
from __future__ import annotations

import json
import re

import pytest

from deepstory.media import probe

from storyfiles import REPO, THREE, THREE_BODY, make_story_dir, run_cli



_STAMP = r"(\d\d):(\d\d):(\d\d)[,.](\d{3})"


def _cues(text: str) -> list[tuple[float, float]]:
    def sec(h: str, m: str, s: str, ms: str) -> float:
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
    return [(sec(*m[:4]), sec(*m[4:])) for m in re.findall(_STAMP + " --> " + _STAMP, text)]


@pytest.mark.slow
@pytest.mark.parametrize("animator", ["builtin", "still"])
def test_three_speaker_story_renders_a_synced_browser_mp4(tmp_path, animator):
    story = make_story_dir(tmp_path / "s", THREE_BODY, speakers=THREE, animator=animator)
    out = tmp_path / "out"
    res = run_cli(str(story), "-o", str(out), "--cache", str(tmp_path / "cache"))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(out / "tale.mp4")
    assert "reused from cache" in res.stderr

    video = out / "tale.mp4"
    info = probe(video)
    assert (info.video_codec, info.audio_codec, info.pix_fmt) == ("h264", "aac", "yuv420p")
    assert info.width % 2 == 0 and info.height % 2 == 0 and max(info.width, info.height) == 128
    assert info.fps == 25
    assert abs(info.video_seconds - info.audio_seconds) < 0.040
    assert info.frames == round(info.video_seconds * 25)
    head = video.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))

    timeline = json.loads((out / "timeline.json").read_text())
    sentences = timeline["sentences"]
    assert len(sentences) == 8          # 2 + 2 + 1 + 1 + 2 sentences in THREE_BODY
    assert [s["speaker"] for s in sentences][:3] == ["Narrator", "Narrator", "Eileen"]
    assert abs(timeline["duration"] - info.video_seconds) < 0.040
    assert sum(c["frames"] for c in timeline["clips"]) == info.frames
    for name in ("tale.srt", "tale.vtt"):
        text = (out / name).read_text()
        cues = _cues(text)
        assert len(cues) == len(sentences)
        flat = [t for cue in cues for t in cue]
        assert flat == sorted(flat) and all(b > a for a, b in cues)
        assert flat[-1] <= info.video_seconds + 1e-3
    assert (out / "tale.vtt").read_text().startswith("WEBVTT")
    assert "Eileen: I hate portals…" in (out / "tale.srt").read_text()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_help_and_voices_commands():
    res = run_cli("--help")
    assert res.returncode == 0 and "--animator" in res.stdout and "--quiet" in res.stdout
    res = run_cli("voices")
    assert res.returncode == 0 and "espeak:en-us+f3" in res.stdout.split()


@pytest.mark.slow
def test_animate_command_lip_syncs_a_recording(tmp_path):
    """`run_story.py animate` on a stereo 44.1 kHz recording (made with espeak, resampled and doubled)."""
    import numpy as np
    import soundfile as sf

    from deepstory.audio import resample
    from deepstory.voices import resolve_voice
    speech = resolve_voice("espeak:en-us").synthesize("Hello, this is a recording I made myself.")
    audio = resample(speech.audio, speech.sample_rate, 44100)
    wav = tmp_path / "rec.flac"
    sf.write(wav, np.stack([audio, audio * 0.5], 1), 44100)
    out = tmp_path / "talk.mp4"
    res = run_cli("animate", "--portrait", str(REPO / "data/portraits/astronaut.jpg"), "--audio", str(wav),
                  "-o", str(out), "--max-side", "256", "--quiet")
    assert res.returncode == 0, res.stderr
    info = probe(out)
    assert (info.width, info.height) == (256, 256)
    assert abs(info.audio_seconds - len(audio) / 44100) < 0.05
    assert abs(info.video_seconds - info.audio_seconds) < 0.040
