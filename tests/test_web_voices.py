"""The studio's voice picker: voices described and searched (neural first), a typed spec refused at the field
with the render parser's reason, which voice "automatic" is, previews that fail say so. API through Flask's
test client, the picker in a real Chromium."""
from __future__ import annotations

import pytest

from deepstory.cast import resolve_cast
from deepstory.errors import VoiceError
from deepstory.story import parse_story
from deepstory.voices import resolve_voice

from test_web_browser import ARTIFACTS
from webapp import Client, make_app, story_text
from studio_page import new_story_page

STORY = story_text("Narrator: Hello there, this is the first line.\nEileen: And this is the second one.",
                   title="Voices tale")


@pytest.fixture
def client(tmp_path):
    return Client(make_app(tmp_path, SEED_DEMO=False))


def test_catalog_search_check_and_automatic(client):
    found = client.get("/api/voices/catalog?q=female English").get_json()
    voices = found["voices"]
    families = [v["family"] for v in voices]
    assert "kokoro" in families and "espeak" in families                    # neural and espeak voices
    assert families.index("kokoro") < families.index("espeak")              # neural first
    assert all(v["gender"] == "female" and "English" in v["language"] for v in voices)
    assert "English (America) — Alpha (kokoro, female)" in [v["label"] for v in voices]
    # "male" is a gender, not a substring of "female"
    male = client.get("/api/voices/catalog?q=male scotland").get_json()["voices"]
    assert male and all(v["gender"] == "male" for v in male)
    assert "English (Scotland) — Male 1 (espeak, male)" in [v["label"] for v in male]
    assert client.get("/api/voices/catalog").get_json()["total"] == len(client.get("/api/voices").get_json()["voices"])

    # a typo is refused with its reason (espeak would quietly speak its default voice)
    bad = client.get("/api/voices/check?voice=espeak:en-gb%2Bm77").get_json()
    assert bad["ok"] is False and "unknown espeak variant 'm77'" in bad["problem"]
    assert "run_story.py" not in bad["problem"]                              # no command-line advice in the page
    with pytest.raises(VoiceError, match="unknown espeak variant 'm77'"):      # the render refuses it the same way
        resolve_voice("espeak:en-gb+m77")
    assert client.get("/api/voices/check?voice=/etc/passwd").get_json()["ok"] is False
    good = client.get("/api/voices/check?voice=espeak:en-gb-scotland%2Bm1").get_json()
    assert good["ok"] and good["voice"]["label"] == "English (Scotland) — Male 1 (espeak, male)"
    # the render's parser refuses it too, so does the cast path and the preview
    story = client.new_story(STORY)
    r = client.post(f"/api/stories/{story['id']}/cast", json={"speakers": {"Narrator": {"voice": "espeak:en-gb+m77"}}})
    assert r.status_code == 400 and "m77" in r.get_json()["error"]
    r = client.get("/api/voices/preview?voice=espeak:en-gb%2Bm77")
    assert r.status_code == 400 and "m77" in r.get_json()["error"]

    # "automatic" is what the render resolves
    speakers = client.get(f"/api/stories/{story['id']}/voices").get_json()["speakers"]
    cast = resolve_cast(parse_story(STORY))
    assert {s["name"]: s["automatic"]["spec"] for s in speakers} == {n: v.spec for n, v in cast.voices.items()}
    eileen = next(s for s in speakers if s["name"] == "Eileen")
    assert eileen["automatic"]["info"]["gender"] == "female"                # a woman's name gets a woman's voice
    r = client.post(f"/api/stories/{story['id']}/cast", json={"speakers": {"Eileen": {"voice": "espeak:en-gb+f3"}}})
    assert r.status_code == 200
    speakers = client.get(f"/api/stories/{story['id']}/voices").get_json()["speakers"]
    eileen = next(s for s in speakers if s["name"] == "Eileen")
    assert eileen["automatic"] is None and eileen["info"]["label"] == "English (Great Britain) — Female 3 (espeak, female)"

    assert client.get("/api/stories/snope/voices").status_code == 404
    # read-only like the other GET endpoints: answered without the CSRF token; changes need it
    bare = client.app.test_client()
    assert bare.get(f"/api/stories/{story['id']}/voices").status_code == 200
    assert bare.post(f"/api/stories/{story['id']}/cast", json={"speakers": {}}).status_code == 403


@pytest.mark.browser
@pytest.mark.slow
def test_voice_picker_in_a_real_browser(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors = new_story_page(browser, server)
    page.fill("#story-text", STORY)
    page.keyboard.press("Control+s")
    page.wait_for_function("() => document.querySelector('#save-state').textContent === 'Saved'")
    page.wait_for_selector(".speaker[data-speaker=Eileen] .vp-current")

    # "automatic" says which voice it is: the one the render resolves
    expected = {n: v.spec for n, v in resolve_cast(parse_story(STORY)).voices.items()}
    eileen, narrator = ".speaker[data-speaker=Eileen]", ".speaker[data-speaker=Narrator]"
    page.wait_for_function(f"() => document.querySelector('{eileen} .vp-current').textContent.startsWith('automatic → ')")
    auto_label = page.inner_text(f"{eileen} .vp-current")
    assert "female" in auto_label
    page.click(f"{eileen} .vp-input")
    page.wait_for_selector(f"{eileen} .vp-list:not([hidden]) [role=option][data-spec='']")
    first = page.locator(f"{eileen} [role=option]").first
    assert first.get_attribute("data-spec") == "" and first.inner_text().strip().startswith("automatic → ")
    api_auto = page.evaluate("async () => (await (await fetch(location.pathname.replace('/stories/', '/api/stories/')"
                             " + '/voices')).json()).speakers")
    assert {s["name"]: s["automatic"]["spec"] for s in api_auto} == expected

    # search "female English": neural and espeak voices, grouped with readable names
    page.fill(f"{eileen} .vp-input", "female English")
    page.wait_for_function(f"() => [...document.querySelectorAll('{eileen} [role=option]')].every(o => o.dataset.spec)"
                           f" && document.querySelectorAll('{eileen} [role=option]').length > 20")
    labels = page.locator(f"{eileen} [role=option] .vp-label").all_inner_texts()
    assert any("(kokoro, female)" in t for t in labels) and any("(espeak, female)" in t for t in labels)
    assert all("female)" in t and "English" in t for t in labels)
    groups = page.locator(f"{eileen} .vp-group").all_inner_texts()
    assert groups[0].startswith("Kokoro") and any(g.startswith("eSpeak") for g in groups)
    assert page.locator(f"{eileen} [role=option] .vp-play").count() == len(labels)     # a preview on every entry
    page.keyboard.press("ArrowDown")
    box = page.locator(f"{eileen}").bounding_box()        # the open list hangs below the speaker's box
    page.screenshot(path=str(ARTIFACTS / "studio-voices.png"),
                    clip={"x": box["x"], "y": box["y"], "width": box["width"], "height": 420})

    # keyboard: arrows move, Escape closes and keeps the voice; Enter chooses: the spec is set in the story
    page.keyboard.press("ArrowDown")
    chosen = page.locator(f"{eileen} [role=option][aria-selected=true]").get_attribute("data-spec")
    assert chosen == page.locator(f"{eileen} [role=option]").nth(1).get_attribute("data-spec")
    page.keyboard.press("Escape")
    assert page.get_attribute(f"{eileen} .vp-input", "aria-expanded") == "false"
    page.fill(f"{eileen} .vp-input", "female scotland")
    page.wait_for_function(f"() => document.querySelectorAll('{eileen} [role=option]').length > 2 && "
                           f"[...document.querySelectorAll('{eileen} [role=option]')].every(o => o.textContent.includes('Scotland'))")
    page.keyboard.press("ArrowDown")
    chosen = page.locator(f"{eileen} [role=option][aria-selected=true]").get_attribute("data-spec")
    assert chosen.startswith("espeak:en-gb-scotland+")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelector('#story-text').value.includes({chosen!r})")
    page.wait_for_function("() => document.querySelector('#save-state').textContent === 'Saved'")
    saved = page.evaluate("async () => (await (await fetch(location.pathname.replace('/stories/', '/api/stories/')))"
                          ".json()).text")
    assert parse_story(saved).speakers["Eileen"].voice == chosen
    assert "Scotland" in page.inner_text(f"{eileen} .vp-current")

    # a bad spec is refused at the field with the reason; the story keeps its voice
    page.fill(f"{narrator} .vp-input", "espeak:en-gb+m77")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{narrator} .vp-error:not([hidden])")
    assert "unknown espeak variant 'm77'" in page.inner_text(f"{narrator} .vp-error")
    assert page.get_attribute(f"{narrator} .vp-input", "aria-invalid") == "true"
    assert "m77" not in page.input_value("#story-text")

    # a failing preview is an error, not a silent 0:00 player
    page.get_by_role("button", name="Preview Narrator's voice").click()
    page.wait_for_function(f"() => document.querySelector('{narrator} .vp-error').textContent.startsWith('Preview failed')")
    assert "m77" in page.inner_text(f"{narrator} .vp-error")
    assert page.locator(f"{narrator} .vp-audio").is_hidden()

    # a preview from a list entry plays
    page.fill(f"{narrator} .vp-input", "male 7 america")
    page.wait_for_selector(f"{narrator} [role=option][data-spec='espeak:en-us+m7']")
    page.click(f"{narrator} [role=option][data-spec='espeak:en-us+m7'] .vp-play")
    page.wait_for_function(f"() => {{ const a = document.querySelector('{narrator} .vp-audio');"
                           f" return !a.hidden && a.duration > 0.5; }}")
    assert page.inner_text(f"{narrator} .vp-error") == "" and page.is_hidden(f"{narrator} .vp-error")
    assert not errors, errors
