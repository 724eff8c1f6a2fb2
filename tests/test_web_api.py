"""The studio's JSON API with Flask's test client: real stories, real renders through the shared pipeline."""
from __future__ import annotations

import io
import json
import threading

import cv2
import numpy as np

import pytest

from deepstory.media import probe
from web.casting import available_animators

from storyfiles import PORTRAITS
from webapp import Client, make_app, story_text

TWO = story_text("Narrator: The night was cold.\nEileen | I hate portals!",
                 speakers={"Narrator": {"voice": "espeak:en-us+m3", "portrait": "grace_hopper"},
                           "Eileen": {"voice": "espeak:en-gb+f3", "portrait": "astronaut"}})
ANIMATORS = [a for a in available_animators() if a != "fom"]


@pytest.fixture
def client(tmp_path):
    return Client(make_app(tmp_path, SEED_DEMO=False))


def _check_outputs(client: Client, job: dict) -> None:
    video = client.get(job["files"]["video"])
    assert video.status_code == 200 and video.mimetype == "video/mp4"
    path = client.app.extensions["deepstory"].renders.out_dir / job["id"] / "test-tale.mp4"
    assert path.read_bytes() == video.data
    info = probe(path)
    assert (info.video_codec, info.audio_codec, info.pix_fmt) == ("h264", "aac", "yuv420p")
    assert max(info.width, info.height) == 128 and info.fps == 25
    assert abs(info.video_seconds - info.audio_seconds) < 0.040
    timeline = client.get(job["files"]["timeline"]).get_json()
    assert [s["speaker"] for s in timeline["sentences"]] == ["Narrator", "Eileen"]
    assert abs(timeline["duration"] - info.video_seconds) < 0.040
    assert client.get(job["files"]["vtt"]).data.decode().startswith("WEBVTT")
    assert "Eileen: I hate portals!" in client.get(job["files"]["srt"]).data.decode()
    ranged = client.get(job["files"]["video"], headers={"Range": "bytes=0-99"})   # browsers seek with ranges
    assert ranged.status_code == 206 and len(ranged.data) == 100


@pytest.mark.parametrize("animator", ANIMATORS)
def test_round_trip_create_render_fetch(client, animator):
    story = client.new_story(TWO)
    assert story["check"]["ok"], story["check"]["problems"]
    assert [(ln["number"], ln["speaker"]) for ln in story["check"]["lines"]] == [(9, "Narrator"), (10, "Eileen")]
    job = client.render(story["id"], animator)
    assert job["status"] in ("queued", "running") and "text" not in job
    job = client.wait(job["id"])
    assert job["status"] == "done", job["error"]
    animate = job["stages"]["animate"]
    assert {k: animate[k] for k in ("total", "rendered", "reused", "state")} == \
        {"total": 2, "rendered": 2, "reused": 0, "state": "done"}
    assert animate["started"] >= job["started"]                  # when the stage began (the studio's ETA)
    assert sorted(job["clips"]["animate"]) == ["clip0001", "clip0002"]
    _check_outputs(client, job)
    page = client.get(f"/renders/{job['id']}")
    assert page.status_code == 200 and f'data-render="{job["id"]}"'.encode() in page.data
    # The SSE stream of a finished render is its final record, then the stream ends.
    events = client.get(f"/api/renders/{job['id']}/events")
    assert events.mimetype == "text/event-stream"
    frames = [json.loads(ln[6:]) for ln in events.data.decode().splitlines() if ln.startswith("data: ")]
    assert [f["status"] for f in frames] == ["done"]


def test_swap_one_portrait_rerenders_only_that_speakers_clips(client):
    text = story_text("Narrator: One.\nEileen: Two.\nNarrator: Three.",
                      speakers={"Narrator": {"portrait": "grace_hopper"}, "Eileen": {"portrait": "astronaut"}})
    sid = client.new_story(text)["id"]
    first = client.wait(client.render(sid)["id"])
    assert first["stages"]["animate"]["rendered"] == 3
    # Swap in an uploaded portrait of the same size (a different size would change the story's frame size,
    # and so every clip).
    mirrored = cv2.imencode(".png", cv2.imread(str(PORTRAITS / "astronaut.jpg"))[:, ::-1])[1].tobytes()
    up = client.post("/api/portraits", data={"image": (io.BytesIO(mirrored), "twin.png")},
                     content_type="multipart/form-data").get_json()
    r = client.post(f"/api/stories/{sid}/cast", json={"speakers": {"Eileen": {"portrait": up["id"]}}})
    assert r.status_code == 200, r.get_json()
    story = r.get_json()
    assert f"Eileen: {{portrait: {up['id']}}}" in story["text"] and story["text"].endswith("Narrator: Three.\n")
    assert story["check"]["ok"] and story["check"]["speakers"][1]["face"] == up["face"]
    second = client.wait(client.render(sid)["id"])
    assert second["status"] == "done", second["error"]
    st = second["stages"]
    assert (st["voice"]["rendered"], st["drive"]["rendered"]) == (0, 0)
    assert (st["animate"]["rendered"], st["animate"]["reused"]) == (1, 2)
    assert second["clips"]["animate"] == ["clip0002"]            # Eileen's line only
    assert "animate: 1 rendered, 2 reused from cache" in second["log"]


def test_check_reports_problems_with_line_numbers_without_rendering(client):
    r = client.post("/api/check", json={"text": "---\nspeakers:\n  Ann: {}\n---\nAnn: Hi.\nBob: Who?\n"})
    report = r.get_json()
    assert r.status_code == 200 and not report["ok"]
    assert report["problems"][0]["line"] == 6 and "unknown speaker 'Bob'" in report["problems"][0]["message"]
    bad = story_text("Ann: Hi.", speakers={"Ann": {"voice": "espeak:xx-nope", "portrait": "nobody"}})
    msgs = [p["message"] for p in client.post("/api/check", json={"text": bad}).get_json()["problems"]]
    assert any("unknown espeak voice" in m for m in msgs) and any("not in the gallery" in m for m in msgs)
    empty = client.post("/api/check", json={"text": "---\ntitle: x\n---\n\n"}).get_json()
    assert "empty" in empty["problems"][0]["message"]
    sid = client.new_story(bad)["id"]
    r = client.post(f"/api/stories/{sid}/renders", json={})
    assert r.status_code == 400 and "not in the gallery" in r.get_json()["error"]
    assert client.get("/api/renders").get_json()["renders"] == []


def test_paths_in_stories_are_refused(client):
    for fm in ({"portrait": "../portraits/astronaut.jpg"}, {"portrait": "/etc/passwd"},
               {"voice": "dctts:/etc"}, {"voice": "dctts:../../data"}):
        report = client.post("/api/check", json={"text": story_text("Ann: Hi.", speakers={"Ann": fm})}).get_json()
        assert not report["ok"], fm
    report = client.post("/api/check", json={"text": story_text("Ann: Hi.") .replace(
        "max_side: 128", "max_side: 128\nfom: {checkpoint: /etc/passwd}")}).get_json()
    assert any("fom" in p["message"] for p in report["problems"])
    sid = client.new_story(story_text("Ann: Hi."))["id"]
    r = client.post(f"/api/stories/{sid}/cast", json={"speakers": {"Ann": {"portrait": "../../x.png"}}})
    assert r.status_code == 400 and "not in the gallery" in r.get_json()["error"]


def test_csrf_and_errors_are_clean_4xx(client, tmp_path):
    bare = client.app.test_client()
    r = bare.post("/api/stories", json={"text": "Ann: Hi."})
    assert r.status_code == 403 and "CSRF" in r.get_json()["error"]
    assert bare.post("/stories").status_code == 403                       # the plain form too
    token = bare.get("/api/csrf").get_json()["token"]
    r = bare.post("/api/stories", json={"text": "Ann: Hi."}, headers={"X-CSRF-Token": token + "x"})
    assert r.status_code == 403
    for url in ("/api/stories/s000000000000", "/api/stories/..%2F..%2Fetc", "/api/renders/nope",
                "/api/portraits/../../etc/passwd/image", "/api/renders/r000000000000/files/video"):
        r = client.get(url)
        assert r.status_code == 404, url
    r = client.post("/api/stories", data="not json", content_type="text/plain")
    assert r.status_code == 400 and "JSON" in r.get_json()["error"]
    r = client.post("/api/stories", json={"text": "x" * 100_001})
    assert r.status_code == 400 and "too long" in r.get_json()["error"]
    page = client.get("/stories/s000000000000")
    assert page.status_code == 404 and b"Traceback" not in page.data and b"no story" in page.data


def test_pages_render(client):
    assert client.get("/").status_code == 200
    r = client.c.post("/stories", data={"csrf_token": client.token})
    assert r.status_code == 303
    page = client.get(r.headers["Location"])
    assert page.status_code == 200 and b'id="story-text"' in page.data and b"Narrator: Once upon" in page.data


def test_restart_keeps_finished_and_marks_interrupted_which_resume(tmp_path):
    app = make_app(tmp_path, SEED_DEMO=False)
    c = Client(app)
    sid = c.new_story(TWO)["id"]
    done = c.wait(c.render(sid)["id"])
    assert done["status"] == "done"
    app.extensions["deepstory"].renders.stop()
    # A server with no workers leaves the next render queued; a restart finds it unfinished.
    stalled = make_app(tmp_path, RENDER_WORKERS=0)
    queued = Client(stalled).render(sid)
    again = make_app(tmp_path)
    c2 = Client(again)
    assert c2.get(f"/api/renders/{done['id']}").get_json()["status"] == "done"
    assert c2.get(done["files"]["video"]).status_code == 200
    job = c2.get(f"/api/renders/{queued['id']}").get_json()
    assert job["status"] == "interrupted" and "resume" in job["error"]
    on_disk = json.loads((tmp_path / "web" / "jobs" / f"{queued['id']}.json").read_text())
    assert on_disk["status"] == "interrupted"
    assert len(c2.get("/api/stories").get_json()["stories"]) == 1          # no second demo on restart
    r = c2.post(f"/api/renders/{queued['id']}/resume")
    assert r.status_code == 202
    job = c2.wait(queued["id"])
    assert job["status"] == "done"
    animate = job["stages"]["animate"]
    assert {k: animate[k] for k in ("total", "rendered", "reused", "state")} == \
        {"total": 2, "rendered": 0, "reused": 2, "state": "done"}
    assert c2.post(f"/api/renders/{queued['id']}/resume").status_code == 400
    assert c2.delete(f"/api/renders/{done['id']}").status_code == 204
    assert c2.get(f"/api/renders/{done['id']}").status_code == 404
    assert not (tmp_path / "web" / "renders" / done["id"]).exists()
    assert not (tmp_path / "web" / "jobs" / f"{done['id']}.json").exists()


def test_cancel_queued_and_running(tmp_path):
    app = make_app(tmp_path, SEED_DEMO=False)
    c = Client(app)
    long = "\n".join(f"Narrator: Sentence number {i} of a story that takes a while." for i in range(12))
    sid = c.new_story(story_text(long))["id"]
    running = c.render(sid)
    queued = c.render(sid)
    assert c.post(f"/api/renders/{queued['id']}/cancel").get_json()["status"] == "cancelled"
    c.wait(running["id"], until=("running", "done"))
    c.post(f"/api/renders/{running['id']}/cancel")
    job = c.wait(running["id"])
    assert job["status"] == "cancelled" and "cached" in job["error"]
    assert c.post(f"/api/renders/{running['id']}/cancel").status_code == 400
    assert c.get(f"/api/renders/{running['id']}/files/video").status_code == 404


def test_concurrent_renders_share_the_cache(tmp_path):
    app = make_app(tmp_path, SEED_DEMO=False, RENDER_WORKERS=2)
    stories = [Client(app).new_story(story_text(f"Narrator: Tale {i}.\nEileen: Yes {i}.", title="Test tale"))["id"]
               for i in range(2)]
    jobs: list[dict] = []
    lock = threading.Lock()

    def submit(sid: str) -> None:
        job = Client(app).render(sid)       # each thread its own client and session
        with lock:
            jobs.append(job)

    threads = [threading.Thread(target=submit, args=(sid,)) for sid in stories * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c = Client(app)
    finished = [c.wait(j["id"]) for j in jobs]
    assert [j["status"] for j in finished] == ["done"] * 4, [j["error"] for j in finished]
    for job in finished:
        info = probe(app.extensions["deepstory"].renders.out_dir / job["id"] / "test-tale.mp4")
        assert info.video_codec == "h264" and abs(info.video_seconds - info.audio_seconds) < 0.040
    assert len({j["id"] for j in finished}) == 4


def test_voices_list_and_preview(client):
    voices = client.get("/api/voices").get_json()["voices"]
    assert "espeak:en-us" in voices and "espeak:en-us+f3" in voices
    r = client.get("/api/voices/preview?voice=espeak:en-us%2Bf3&text=Hello%20there")
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    import soundfile as sf
    audio, rate = sf.read(io.BytesIO(r.data))
    assert rate > 8000 and 0.3 < len(audio) / rate < 3 and abs(audio).max() > 0.05
    for bad in ("dctts:/etc", "espeak:../../x", "nope"):
        r = client.get(f"/api/voices/preview?voice={bad}")
        assert r.status_code == 400 and r.get_json()["error"], bad


def test_story_crud_and_cast_animator(client):
    story = client.new_story("Narrator: Hello.\nEileen: Hi!")
    assert story["title"] == "Untitled story"
    r = client.post(f"/api/stories/{story['id']}/cast", json={"animator": "still",
                                                               "speakers": {"eileen": {"voice": "espeak:en+f3"}}})
    text = r.get_json()["text"]
    assert r.status_code == 200 and "animator: \"still\"" in text
    assert "Eileen: {voice: 'espeak:en+f3'}" in text and "Narrator: {}" in text
    assert r.get_json()["check"]["ok"]
    r = client.post(f"/api/stories/{story['id']}/cast", json={"speakers": {"Zed": {"voice": "espeak:en"}}})
    assert r.status_code == 400 and "no speaker named 'Zed'" in r.get_json()["error"]
    r = client.post(f"/api/stories/{story['id']}/cast", json={"animator": "warp9"})
    assert r.status_code == 400
    r = client.put(f"/api/stories/{story['id']}", json={"text": "# My tale\nNarrator: Changed."})
    assert r.get_json()["title"] == "My tale"
    assert [s["id"] for s in client.get("/api/stories").get_json()["stories"]] == [story["id"]]
    assert client.delete(f"/api/stories/{story['id']}").status_code == 204
    assert client.get(f"/api/stories/{story['id']}").status_code == 404


def test_listed_non_espeak_voices_are_castable_by_their_listed_spec(client):
    voices = client.get("/api/voices").get_json()["voices"]
    others = [v for v in voices if not v.startswith("espeak:")]
    if not others:
        pytest.skip("no piper or DCTTS voice installed here")
    sid = client.new_story(story_text("Ann: Hi."))["id"]
    r = client.post(f"/api/stories/{sid}/cast", json={"speakers": {"Ann": {"voice": others[0]}}})
    assert r.status_code == 200 and r.get_json()["check"]["ok"], r.get_json()
    kind = others[0].split(":", 1)[0]
    r = client.post(f"/api/stories/{sid}/cast", json={"speakers": {"Ann": {"voice": f"{kind}:../../etc"}}})
    assert r.status_code == 400


def test_a_save_from_an_older_revision_is_a_conflict_not_an_overwrite(tmp_path):
    client = Client(make_app(tmp_path, SEED_DEMO=False))
    story = client.new_story(story_text("Narrator: One.\n"))
    assert story["revision"] == 1
    first = client.put(f"/api/stories/{story['id']}", json={"text": story_text("Narrator: Two.\n"), "base_revision": 1})
    assert first.status_code == 200 and first.get_json()["revision"] == 2
    # a second tab still holds revision 1
    stale = client.put(f"/api/stories/{story['id']}", json={"text": story_text("Narrator: Three.\n"), "base_revision": 1})
    assert stale.status_code == 409
    body = stale.get_json()
    assert "changed in another window" in body["error"] and body["story"]["revision"] == 2
    assert "Two." in client.get(f"/api/stories/{story['id']}").get_json()["text"]       # nothing overwritten
    # saving the same text again is not a new revision; a save without base_revision still works (API users)
    same = client.put(f"/api/stories/{story['id']}", json={"text": story_text("Narrator: Two.\n"), "base_revision": 2})
    assert same.get_json()["revision"] == 2
    plain = client.put(f"/api/stories/{story['id']}", json={"text": story_text("Narrator: Four.\n")})
    assert plain.status_code == 200 and plain.get_json()["revision"] == 3
    bad = client.put(f"/api/stories/{story['id']}", json={"text": "x", "base_revision": "1"})
    assert bad.status_code == 400 and "base_revision" in bad.get_json()["error"]


def test_check_lists_every_problem_with_its_line(tmp_path):
    client = Client(make_app(tmp_path, SEED_DEMO=False))
    text = "---\nanimator: nope\nspeakers:\n  Ann: {voice: 'espeak:en-us'}\n---\nAnn: ok.\nBob: hi.\nCarl: hey.\n"
    check = client.post("/api/check", json={"text": text}).get_json()
    assert [p["line"] for p in check["problems"]] == [None, 7, 8], check["problems"]
    assert "animator" in check["problems"][0]["message"]


@pytest.mark.slow
def test_manage_stories_uploads_and_renders(tmp_path):
    import cv2
    from deepstory.settings import PATHS
    client = Client(make_app(tmp_path, SEED_DEMO=False))
    text = "---\n# keep this comment\ntitle: Old name\nanimator: still\nmax_side: 128\n---\nNarrator: Hello.\n"
    story = client.new_story(text)
    # rename and frame through the form fields: only those lines change, the comment stays
    r = client.patch(f"/api/stories/{story['id']}", json={"title": "Le phare de Brézé", "aspect": "1:1",
                                                          "framing": "blur", "base_revision": story["revision"]})
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert got["title"] == "Le phare de Brézé" and "# keep this comment" in got["text"]
    assert got["text"].endswith("---\nNarrator: Hello.\n") and 'aspect: "1:1"' in got["text"]
    assert client.patch(f"/api/stories/{story['id']}", json={"aspect": "2:1"}).status_code == 400
    assert client.patch(f"/api/stories/{story['id']}", json={"speakers": "x"}).status_code == 400
    assert client.patch(f"/api/stories/{story['id']}", json={"title": "x", "base_revision": 1}).status_code == 409
    # uploads: label and delete; bundled portraits cannot be deleted
    ok, png = cv2.imencode(".png", cv2.imread(str(PATHS.portraits / "astronaut.jpg")))
    up = client.post("/api/portraits", data={"image": (io.BytesIO(png.tobytes()), "eileen.png")},
                     content_type="multipart/form-data").get_json()
    assert client.patch(f"/api/portraits/{up['id']}", json={"label": "Commander"}).get_json()["label"] == "Commander"
    assert client.delete("/api/portraits/astronaut").status_code == 400
    assert client.delete(f"/api/portraits/{up['id']}").status_code == 204
    assert client.get(f"/api/portraits/{up['id']}/image").status_code == 404
    assert client.delete(f"/api/portraits/{up['id']}").status_code == 404
    # a render has a title, a duration and a thumbnail; deleting it removes its files
    job = client.wait(client.render(story["id"])["id"], timeout=240)
    assert job["status"] == "done" and job["title"] == "Le phare de Brézé" and job["duration"] > 0.3
    poster = client.get(job["files"]["poster"])
    assert poster.status_code == 200 and poster.data[:3] == b"\xff\xd8\xff"
    assert client.delete(f"/api/renders/{job['id']}").status_code == 204
    assert client.get(job["files"]["video"]).status_code == 404
    # and the story itself
    assert client.delete(f"/api/stories/{story['id']}").status_code == 204
    assert client.get(f"/api/stories/{story['id']}").status_code == 404


def test_listen_gives_the_story_audio_with_line_times_without_rendering(tmp_path):
    import soundfile as sf
    client = Client(make_app(tmp_path, SEED_DEMO=False))
    story = client.new_story(story_text("Narrator: The night was cold.\nEileen: I hate portals.\n",
                                        speakers={"Narrator": {"voice": "espeak:en-us"},
                                                  "Eileen": {"voice": "espeak:en-gb+f3"}}))
    data = client.post(f"/api/stories/{story['id']}/listen").get_json()
    starts = [ln["start"] for ln in data["lines"]]
    assert [ln["speaker"] for ln in data["lines"]] == ["Narrator", "Eileen"] and starts[0] == 0 < starts[1]
    wav = client.get(data["url"])
    audio, rate = sf.read(io.BytesIO(wav.data))
    assert abs(len(audio) / rate - data["lines"][-1]["end"]) < 0.01 and np.abs(audio).max() > 0.05
    assert client.get("/api/renders").get_json()["renders"] == []
    # the phrases are now cached: a render's voice stage reuses them all
    job = client.wait(client.render(story["id"], animator="still")["id"], timeout=240)
    assert job["stages"]["voice"]["rendered"] == 0 and job["stages"]["voice"]["reused"] == 2
