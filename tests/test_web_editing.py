"""Editing in a real Chromium: typed text is saved by itself, never lost on leaving, never silently
overwritten by a second tab; Ctrl+S saves; Undo takes back a cast change; dark mode follows the system."""
from __future__ import annotations

import pytest

from test_web_browser import ARTIFACTS, STORY, browser, server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _new_story(page, server: str) -> str:  # noqa: F811
    page.goto(server + "/")
    page.get_by_role("button", name="New story").click()
    page.wait_for_url("**/stories/s*")
    page.wait_for_selector("body[data-ready]")
    return page.url


def _saved(page) -> None:
    page.wait_for_function("() => document.querySelector('#save-state').textContent === 'Saved'")


def test_autosave_conflict_ctrl_s_undo_and_dark_mode(server, browser):  # noqa: F811
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
