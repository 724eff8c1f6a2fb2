"""The live framing preview: each speaker's first frame as the story's aspect/framing/layout will crop it,
made by the render's own framing code (no animation). API through Flask's test client (checked against a
real still render's first frame), the settings form and the refreshed pictures in a real Chromium."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from deepstory.media import read_frames
from modules.landmarks import detect

from test_web_browser import ARTIFACTS
from webapp import Client, make_app, story_text
from studio_page import new_story_page

LINES = "Ann: Hello there, Bob.\nBob: Hello, Ann.\nAnn: Shall we go?"
CAST = {"Ann": {"portrait": "astronaut", "voice": "espeak:en-us+f3"},
        "Bob": {"portrait": "grace_hopper", "voice": "espeak:en-us+m3"}}


@pytest.fixture
def client(tmp_path):
    return Client(make_app(tmp_path, SEED_DEMO=False))


def _jpeg(client: Client, url: str) -> np.ndarray:
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "image/jpeg", r.data[:200]
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(r.data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _set(client: Client, sid: str, **values) -> dict:
    r = client.patch(f"/api/stories/{sid}", json=values)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


@pytest.mark.slow              # a still render to compare with
def test_preview_is_the_renders_first_frame_fill_fit_and_duo(client):
    sid = client.new_story(story_text(LINES, speakers=CAST, title="Framing tale"))["id"]   # max_side 128, 16:9
    info = client.get(f"/api/stories/{sid}/framing").get_json()
    assert info["size"] == [128, 72] and [v["view"] for v in info["views"]] == ["Ann", "Bob"]
    fill = _jpeg(client, f"/api/stories/{sid}/framing.jpg?view=Ann&full=1")
    assert fill.shape == (72, 128, 3)                                      # the story frame

    # the same picture as the first frame of a real (still) render
    job = client.wait(client.render(sid, "still")["id"])
    assert job["status"] == "done", job["error"]
    video = client.app.extensions["deepstory"].renders.folder(client.app.extensions["deepstory"].renders.get(job["id"]))
    first = next(read_frames(video / "framing-tale.mp4"))
    assert first.shape == fill.shape
    assert np.abs(first.astype(int) - fill.astype(int)).mean() < 6         # JPEG vs H.264, same framing

    # fit letterboxes the square portrait (black bars left and right); fill covers the frame
    _set(client, sid, framing="fit")
    fit = _jpeg(client, f"/api/stories/{sid}/framing.jpg?view=Ann&full=1")
    assert fit.shape == (72, 128, 3)
    assert fit[:, :10].mean() < 8 and fit[:, -10:].mean() < 8
    assert fill[:, :10].mean() > 30 and fill[:, -10:].mean() > 30
    assert np.abs(fit.astype(int) - fill.astype(int)).mean() > 20

    # the small preview keeps the frame's shape; 9:16 turns it round
    _set(client, sid, aspect="9:16")
    assert client.get(f"/api/stories/{sid}/framing").get_json()["size"] == [72, 128]
    assert _jpeg(client, f"/api/stories/{sid}/framing.jpg?view=Bob").shape == (128, 72, 3)

    # layout duo: the dialogue side by side, one face in each half
    _set(client, sid, aspect="16:9", framing="fill", layout="duo", transition="dissolve")
    info = client.get(f"/api/stories/{sid}/framing").get_json()
    assert (info["layout"], info["transition"]) == ("duo", "dissolve")
    assert info["views"][0]["view"] == "duo" and info["views"][0]["label"] == "Ann and Bob side by side"
    duo = _jpeg(client, f"/api/stories/{sid}/framing.jpg?view=duo&full=1")
    assert duo.shape == (72, 128, 3)
    big = cv2.resize(duo, (1024, 576), interpolation=cv2.INTER_CUBIC)      # faces big enough to find
    for half in (big[:, :512], big[:, 512:]):
        assert detect(np.ascontiguousarray(half)) is not None
    assert "layout: \"duo\"" in client.get(f"/api/stories/{sid}").get_json()["text"]


def test_framing_errors_and_csrf(client):
    sid = client.new_story(story_text(LINES, speakers=CAST))["id"]
    assert client.get("/api/stories/snope/framing").status_code == 404
    assert client.get("/api/stories/snope/framing.jpg?view=Ann").status_code == 404
    assert client.get(f"/api/stories/{sid}/framing.jpg?view=Zed").status_code == 404
    assert client.get(f"/api/stories/{sid}/framing.jpg?view=duo").status_code == 404    # layout single
    for key, value in (("layout", "trio"), ("transition", "wipe"), ("layout", 3)):
        r = client.patch(f"/api/stories/{sid}", json={key: value})
        assert r.status_code == 400 and key in r.get_json()["error"]
    bare = client.app.test_client()                                        # no CSRF token
    assert bare.patch(f"/api/stories/{sid}", json={"layout": "duo"}).status_code == 403
    assert bare.get(f"/api/stories/{sid}/framing").status_code == 200      # read-only, like the other GETs
    # a portrait the gallery does not have (a path) is refused, never opened
    text = story_text(LINES, speakers={"Ann": {"portrait": "/etc/passwd"}, "Bob": {}})
    sid2 = client.new_story(text)["id"]
    r = client.get(f"/api/stories/{sid2}/framing.jpg?view=Ann")
    assert r.status_code == 400 and "not in the gallery" in r.get_json()["error"]


@pytest.mark.browser
@pytest.mark.slow
def test_framing_preview_follows_the_settings_form(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors = new_story_page(browser, server)
    page.fill("#story-text", story_text(LINES, speakers=CAST))
    page.keyboard.press("Control+s")
    page.wait_for_function("() => document.querySelector('#save-state').textContent === 'Saved'")

    def pictures() -> list[dict]:
        page.wait_for_function("() => { const i = [...document.querySelectorAll('#framing-preview img')];"
                               " return i.length && i.every(x => x.complete && x.naturalWidth > 0); }")
        return page.evaluate("() => [...document.querySelectorAll('#framing-preview figure')].map(f => ({view:"
                             " f.dataset.view, w: f.querySelector('img').naturalWidth, h: f.querySelector('img').naturalHeight,"
                             " src: f.querySelector('img').src, caption: f.querySelector('figcaption').textContent}))")

    page.wait_for_selector("#framing-preview:not([aria-busy]) figure[data-view=Bob]")
    shown = pictures()
    assert [p["view"] for p in shown] == ["Ann", "Bob"]
    assert all(p["w"] * 72 == p["h"] * 128 and p["caption"].endswith("128 × 72") for p in shown)
    key = page.get_attribute("#framing-preview", "data-key")

    page.select_option("#set-framing", "fit")              # the form changes the story and the pictures follow
    page.wait_for_function(f"() => document.querySelector('#framing-preview').dataset.key !== {key!r}")
    assert 'framing: "fit"' in page.input_value("#story-text")
    page.select_option("#set-aspect", "1:1")
    page.wait_for_function("() => document.querySelector('#frame-size').textContent.startsWith('128 × 128')")
    page.wait_for_function("() => [...document.querySelectorAll('#framing-preview figcaption')]"
                           ".every(c => c.textContent.endsWith('128 × 128'))")
    assert all(p["w"] == p["h"] for p in pictures())

    page.select_option("#set-layout", "duo")
    page.select_option("#set-transition", "dissolve")
    page.wait_for_function("() => document.querySelector('#framing-preview figure[data-view=duo]')")
    page.wait_for_function("() => document.querySelector('#story-text').value.includes('transition: \"dissolve\"')")
    assert pictures()[0]["view"] == "duo"
    assert (page.input_value("#set-layout"), page.input_value("#set-transition")) == ("duo", "dissolve")
    page.locator("#settings").screenshot(path=str(ARTIFACTS / "studio-framing.png"))
    assert not errors, errors
