"""Editing in a real Chromium: typed text is saved by itself, never lost on leaving, never silently
overwritten by a second tab; Ctrl+S saves; Undo takes back a cast change; dark mode follows the system."""
from __future__ import annotations

import pytest

from test_web_browser import ARTIFACTS, STORY

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _new_story(page, server: str) -> str:
    page.goto(server + "/")
    page.get_by_role("button", name="New story").click()
    page.wait_for_url("**/stories/s*")
    page.wait_for_selector("body[data-ready]")
    return page.url


def _saved(page) -> None:
    page.wait_for_function("() => document.querySelector('#save-state').textContent === 'Saved'")


def test_autosave_conflict_ctrl_s_undo_and_dark_mode(server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 860}, color_scheme="dark")
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    url = _new_story(page, server)

    # Every problem is listed at once; a problem's "Line n" link puts the caret on that line.
    page.fill("#story-text", "---\nanimator: nope\nspeakers:\n  Ann: {voice: 'espeak:en-us'}\n---\n"
                             "Ann: fine.\nBob: who?\nCarl: and who?\n")
    page.get_by_role("button", name="Check").click()
    page.wait_for_function("() => document.querySelectorAll('#problems li').length === 3")
    page.click("#problems li:nth-child(3) a.goto-line")
    assert page.evaluate("() => { const t = document.querySelector('#story-text');"
                         " return t.value.slice(t.selectionStart, t.selectionEnd); }") == "Carl: and who?"
    assert page.evaluate("() => getComputedStyle(document.querySelector('#problems')).color") != \
        page.evaluate("() => getComputedStyle(document.querySelector('#lines')).color")   # styled as errors

    # Typing is saved by itself once typing pauses: leave the page, come back, the text is there.
    page.fill("#story-text", STORY)
    _saved(page)
    page.goto(server + "/")
    page.goto(url)
    page.wait_for_selector("body[data-ready]")
    assert page.input_value("#story-text") == STORY

    # Leaving with unsaved text asks first (beforeunload); Ctrl+S saves at once.
    page.click("#story-text")
    page.keyboard.press("End")
    page.keyboard.type(" Unsaved words.")
    assert page.evaluate("() => { const e = new Event('beforeunload', {cancelable: true});"
                         " window.dispatchEvent(e); return e.defaultPrevented; }")
    page.keyboard.press("Control+s")
    _saved(page)
    assert not page.evaluate("() => { const e = new Event('beforeunload', {cancelable: true});"
                             " window.dispatchEvent(e); return e.defaultPrevented; }")

    # The same story in a second tab: its later save is refused, nothing is overwritten.
    other = context.new_page()
    other.goto(url)
    other.wait_for_selector("body[data-ready]")
    other.fill("#story-text", STORY.replace("first line", "FIRST TAB LINE"))
    _saved(other)
    page.fill("#story-text", STORY.replace("first line", "SECOND TAB LINE"))
    page.wait_for_selector("#conflict:not([hidden])")
    assert "changed in another window" in page.inner_text("#save-state")
    page.goto(url + "?check")                       # the server still holds the first tab's text
    page.wait_for_selector("body[data-ready]")
    assert "FIRST TAB LINE" in page.input_value("#story-text")
    other.close()

    # A cast change rewrites the front matter; Undo takes it back (and saves).
    before = page.input_value("#story-text")
    page.click("button[data-portrait=astronaut][data-speaker=Eileen]")
    page.wait_for_selector("button[data-portrait=astronaut][data-speaker=Eileen][aria-pressed=true]")
    assert page.input_value("#story-text") != before
    page.get_by_role("button", name="Undo").click()
    _saved(page)
    assert page.input_value("#story-text") == before

    # Dark mode follows the system setting.
    dark = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "studio-dark.png"))
    light = browser.new_page(color_scheme="light")
    light.goto(url)
    light.wait_for_selector("body[data-ready]")
    assert dark != light.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert dark == "rgb(22, 24, 28)"
    assert errors == []
    context.close()


def test_settings_still_preview_manage_and_phone(server, browser, tmp_path):
    import cv2
    from deepstory.settings import PATHS
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    url = _new_story(page, server)
    page.fill("#story-text", STORY.replace("animator: builtin", "animator: still"))
    _saved(page)

    # Story settings: shape and title through the form; the output size follows; the text keeps its lines.
    page.select_option("#set-aspect", "1:1")
    page.wait_for_function("() => document.querySelector('#story-text').value.includes('aspect: \"1:1\"')")
    page.wait_for_function("() => /^(\\d+) × \\1 pixels$/.test(document.querySelector('#frame-size').textContent)")
    page.fill("#set-title", "Le phare de Brézé")
    page.dispatch_event("#set-title", "change")
    page.wait_for_function("() => document.querySelector('#story-title').textContent === 'Le phare de Brézé'")
    assert "Narrator: Hello there." in page.input_value("#story-text")

    # Still preview renders without touching the story's animator; the render list shows a thumbnail.
    text_before = page.input_value("#story-text")
    page.get_by_role("button", name="Still preview").click()
    page.wait_for_selector("#render-state.done", timeout=120_000)
    page.wait_for_selector("#renders img.thumb")
    assert page.input_value("#story-text") == text_before
    stages = page.inner_text("#stages")                          # plain-language stage names
    assert "Voices" in stages and "Animation" in stages and "Final video" in stages and "drive" not in stages
    assert "Le phare de Brézé" in page.inner_text("#renders")
    page.get_by_role("button", name="Delete the video made").first.click()
    page.wait_for_function("() => document.querySelectorAll('#renders li').length === 0")

    # An upload can be renamed and deleted.
    ok, png = cv2.imencode(".png", cv2.imread(str(PATHS.portraits / "astronaut.jpg")))
    (tmp_path / "eileen.png").write_bytes(png.tobytes())
    page.set_input_files("#upload", str(tmp_path / "eileen.png"))
    page.wait_for_selector("input.tile-name")
    page.fill("input.tile-name", "Commander")
    page.dispatch_event("input.tile-name", "change")
    page.wait_for_function("() => document.querySelector('#upload-state').textContent === 'Renamed.'")
    page.get_by_role("button", name="Delete the uploaded portrait Commander").click()
    page.wait_for_function("() => !document.querySelector('input.tile-name')")

    # Phone: Render reachable without scrolling (the sticky bar), no sideways overflow.
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(url)
    phone.wait_for_selector("body[data-ready]")
    box = phone.locator("#bar-render").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert phone.locator(".gallery button[data-speaker]").first.is_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "studio-phone.png"))
    page.screenshot(path=str(ARTIFACTS / "studio-laptop.png"))
    assert errors == []


def test_listen_plays_the_voice_stage_and_follows_the_lines(server, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 860})
    page.set_default_timeout(60_000)
    _new_story(page, server)
    page.fill("#story-text", STORY)
    _saved(page)
    page.get_by_role("button", name="Check").click()
    page.wait_for_function("() => document.querySelectorAll('#lines li').length === 2")
    page.get_by_role("button", name="Listen").click()
    page.wait_for_function("() => { const a = document.querySelector('#listen-audio');"
                           " return !a.hidden && a.duration > 2; }")
    assert page.evaluate("() => Studio.listenLines.length") == 2
    second = page.evaluate("() => Studio.listenLines[1].start")
    page.evaluate(f"() => {{ const a = document.querySelector('#listen-audio'); a.pause(); a.currentTime = {second + 0.3}; }}")
    page.wait_for_function("() => document.querySelector('#lines li.speaking') &&"
                           " document.querySelector('#lines li.speaking').textContent.includes('Eileen')")
    assert page.locator("#renders li").count() == 0            # no render was started
