"""The line editor's API: per-line speech, re-rendering one line from the cache, and casting that edits the
front matter in place (comments inside `speakers:` kept)."""
from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from webapp import Client, make_app, story_text

COMMENTED = """---
title: Comments stay  # the title
# who is who
speakers:
  # the narrator reads slowly
  Narrator: {voice: 'espeak:en-us+m3'}   # deep
  Eileen:
    # Eileen's own voice
    voice: espeak:en-gb+f3
    rate: 150
animator: still
---
Narrator: The night was cold.

Eileen | I hate portals!
Narrator: She stepped through.
"""


@pytest.fixture
def client(tmp_path):
    return Client(make_app(tmp_path, SEED_DEMO=False))


def test_cast_edits_speakers_in_place_keeping_every_comment(client):
    sid = client.new_story(COMMENTED)["id"]
    r = client.post(f"/api/stories/{sid}/cast", json={"speakers": {
        "narrator": {"pitch": 30, "portrait": "astronaut"}, "Eileen": {"speed": 1.2, "voice": "espeak:en-us+f4"}}})
    assert r.status_code == 200, r.get_json()
    text = r.get_json()["text"]
    assert text == COMMENTED.replace(
        "  Narrator: {voice: 'espeak:en-us+m3'}   # deep",
        "  Narrator: {voice: 'espeak:en-us+m3', pitch: 30, portrait: astronaut}   # deep").replace(
        "    voice: espeak:en-gb+f3\n    rate: 150\n", "    voice: espeak:en-us+f4\n    speed: 1.2\n")
    speakers = {s["name"]: s for s in r.get_json()["check"]["speakers"]}
    assert (speakers["Eileen"]["rate"], speakers["Narrator"]["pitch"]) == (210, 30)    # speed 1.2 = 210 wpm
    # removing a field deletes its line only; rate then replaces speed
    r = client.post(f"/api/stories/{sid}/cast", json={"speakers": {"Eileen": {"rate": 120}, "Narrator": {"pitch": None}}})
    text = r.get_json()["text"]
    assert "    # Eileen's own voice\n    voice: espeak:en-us+f4\n    rate: 120\n" in text and "speed" not in text
    assert "  Narrator: {voice: 'espeak:en-us+m3', portrait: astronaut}   # deep" in text
    assert text.count("#") == COMMENTED.count("#") and text.endswith(COMMENTED.split("---\n", 2)[2])


def test_cast_refuses_bad_rate_pitch_speed_and_fields(client):
    sid = client.new_story(COMMENTED)["id"]
    before = client.get(f"/api/stories/{sid}").get_json()["text"]
    for change, why in (({"rate": 20}, "'rate' must be a whole number from 80 to 450"),
                        ({"pitch": 1.5}, "'pitch' must be a whole number"),
                        ({"speed": "fast"}, "'speed' must be a number from 0.5 to 2.0"),
                        ({"rate": True}, "'rate'"),
                        ({"portrait": "../../etc/passwd"}, "not in the gallery"),
                        ({"base_dir": "/"}, "cannot set 'base_dir'")):
        r = client.post(f"/api/stories/{sid}/cast", json={"speakers": {"Eileen": change}})
        assert r.status_code == 400 and why in r.get_json()["error"], (change, r.get_json())
    assert client.get(f"/api/stories/{sid}").get_json()["text"] == before


def test_cast_declares_every_speaker_when_adding_a_speakers_block(client):
    sid = client.new_story("---\ntitle: T  # kept\n---\nAnn: Hi.\nBob: Yo.\n")["id"]
    r = client.post(f"/api/stories/{sid}/cast", json={"speakers": {"Bob": {"speed": 0.8}}})
    assert r.get_json()["text"] == "---\ntitle: T  # kept\nspeakers:\n  Ann: {}\n  Bob: {speed: 0.8}\n---\nAnn: Hi.\nBob: Yo.\n"
    assert r.get_json()["check"]["ok"]


def test_line_audio_is_that_lines_clip_speech_and_bad_ids_404(client):
    sid = client.new_story(COMMENTED)["id"]
    listen = client.post(f"/api/stories/{sid}/listen").get_json()
    whole, rate = sf.read(io.BytesIO(client.get(listen["url"]).data), dtype="float32")
    third = listen["lines"][2]
    assert third["line"] == 16
    r = client.get(f"/api/stories/{sid}/lines/16/audio")
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    audio, rate2 = sf.read(io.BytesIO(r.data), dtype="float32")
    assert rate2 == rate and abs(len(audio) / rate - (third["end"] - third["start"])) < 0.002
    start = round(third["start"] * rate)
    assert np.abs(audio - whole[start:start + len(audio)]).max() < 1e-3        # a slice of the story's audio
    assert np.abs(audio).max() > 0.05
    assert client.get(f"/api/stories/{sid}/lines/14/audio").status_code == 404      # the blank line
    assert client.get(f"/api/stories/{sid}/lines/99/audio").status_code == 404
    assert client.get(f"/api/stories/{sid}/lines/x/audio").status_code == 404
    assert client.get("/api/stories/s000000000000/lines/13/audio").status_code == 404
    broken = client.new_story("---\nanimator: warp\n---\nAnn: Hi.\n")["id"]
    r = client.get(f"/api/stories/{broken}/lines/4/audio")
    assert r.status_code == 400 and "animator" in r.get_json()["error"]


def test_rerendering_one_edited_line_reanimates_only_its_clip(client):
    text = story_text("Narrator: One.\nEileen: Two.\nNarrator: Three.", animator="builtin",
                      speakers={"Narrator": {"voice": "espeak:en-us+m3"}, "Eileen": {"voice": "espeak:en-gb+f3"}})
    sid = client.new_story(text)["id"]
    first = client.wait(client.post(f"/api/stories/{sid}/lines/10/render").get_json()["id"], timeout=240)
    assert first["status"] == "done" and first["stages"]["animate"]["rendered"] == 3
    story = client.get(f"/api/stories/{sid}").get_json()
    client.put(f"/api/stories/{sid}", json={"text": text.replace("Two.", "Two, again."),
                                             "base_revision": story["revision"]})
    r = client.post(f"/api/stories/{sid}/lines/10/render")
    assert r.status_code == 202 and (r.get_json()["line"], r.get_json()["clip"]) == (10, "clip0002")
    second = client.wait(r.get_json()["id"], timeout=240)
    assert second["status"] == "done", second["error"]
    st = second["stages"]
    assert (st["animate"]["rendered"], st["animate"]["reused"]) == (1, 2)
    assert second["clips"]["animate"] == ["clip0002"]
    assert "animate: 1 rendered, 2 reused from cache" in second["log"]
    assert client.post(f"/api/stories/{sid}/lines/8/render").status_code == 404
    r = client.post(f"/api/stories/{sid}/lines/10/render", json={"animator": "warp9"})
    assert r.status_code == 400 and "warp9" in r.get_json()["error"]
    bare = client.app.test_client()                                     # no CSRF token: refused
    assert bare.post(f"/api/stories/{sid}/lines/10/render").status_code == 403


def test_declaring_a_new_speaker_keeps_comments_and_refuses_bad_names(client):
    sid = client.new_story(COMMENTED)["id"]
    revision = client.get(f"/api/stories/{sid}").get_json()["revision"]
    r = client.post(f"/api/stories/{sid}/speakers", json={"name": "Zoë", "base_revision": revision})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["text"] == COMMENTED.replace("    rate: 150\n", "    rate: 150\n  Zoë: {}\n")
    again = client.post(f"/api/stories/{sid}/speakers", json={"name": "zoë"})      # already declared: unchanged
    assert again.status_code == 200 and again.get_json()["text"] == r.get_json()["text"]
    r2 = client.put(f"/api/stories/{sid}", json={"text": r.get_json()["text"] + "Zoë: Me too.\n"})
    assert r2.get_json()["check"]["ok"] and r2.get_json()["check"]["lines"][-1]["speaker"] == "Zoë"
    for bad in ("", "1abc", "a" * 41, "Bob: x", None, 5):
        r = client.post(f"/api/stories/{sid}/speakers", json={"name": bad})
        assert r.status_code == 400, bad
    r = client.post(f"/api/stories/{sid}/speakers", json={"name": "Max", "base_revision": revision})
    assert r.status_code == 409                                       # saved since: a conflict, no overwrite
    assert client.post("/api/stories/s000000000000/speakers", json={"name": "Max"}).status_code == 404
    assert client.app.test_client().post(f"/api/stories/{sid}/speakers", json={"name": "Max"}).status_code == 403
    broken = client.new_story("---\nanimator: warp\n---\nAnn: Hi.\n")["id"]
    r = client.post(f"/api/stories/{broken}/speakers", json={"name": "Max"})
    assert r.status_code == 400 and "fix the story first" in r.get_json()["error"]
