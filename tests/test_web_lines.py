"""The line editor in a real Chromium: add, edit, reorder and delete lines and paragraph breaks with the
keyboard and buttons; the saved text is the script rewritten line by line with the front matter (and its
comments) untouched; a speaker's rate set in the form keeps comments; a line plays its own audio;
re-rendering an edited line re-animates only its clip; "Clip" plays that line in the latest video."""
from __future__ import annotations

import json
import time
import urllib.request

import pytest

from test_web_browser import ARTIFACTS
from studio_page import new_story_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FRONT = """---
title: Line tale  # kept
# the cast
speakers:
  # the narrator reads slowly
  Narrator: {voice: 'espeak:en-us+m3'}   # deep
  Eileen:
    voice: espeak:en-gb+f3   # hers
animator: builtin
max_side: 128
---
"""
BODY = "Narrator: The night was cold.\nEileen | I hate portals!\n\nNarrator: She stepped through.\n"


def _get(server: str, path: str) -> dict:
    with urllib.request.urlopen(server + path, timeout=10) as r:
        return json.load(r)


def _saved(page) -> None:
    page.wait_for_function("() => document.querySelector('#save-state').textContent === 'Saved'")


def _rows(page) -> list[str]:
    """Each row as the editor shows it: 'Speaker: text', or '¶' for a paragraph break."""
    return page.evaluate("""() => [...document.querySelectorAll('#line-rows li')].map(li =>
        li.classList.contains('para-break') ? '¶'
          : li.querySelector('.line-speaker').value + ': ' + li.querySelector('.line-text').value)""")


def _wait_render(server: str, sid: str, count: int) -> dict:
    end = time.monotonic() + 180
    while time.monotonic() < end:
        renders = _get(server, f"/api/renders?story={sid}")["renders"]
        if len(renders) >= count and renders[0]["status"] not in ("queued", "running"):
            return renders[0]
        time.sleep(0.3)
    raise AssertionError(f"render {count} of story {sid} did not finish")


def test_line_editor_edits_reorders_plays_and_rerenders_one_line(server, browser):
    page, errors = new_story_page(browser, server, height=900)
    sid = page.url.rstrip("/").rsplit("/", 1)[1]
    page.fill("#story-text", FRONT + BODY)
    _saved(page)

    # The Lines view: one row per script line, a paragraph break as its own row.
    page.get_by_role("button", name="Lines", exact=True).click()
    assert page.is_hidden("#story-text")
    assert _rows(page) == ["Narrator: The night was cold.", "Eileen: I hate portals!", "¶",
                           "Narrator: She stepped through."]

    # Edit a line's text; Enter adds a line below (same speaker); its speaker is picked from the story's.
    page.get_by_label("Text of line 12").fill("The night was very cold.")
    page.get_by_label("Text of line 12").press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("Who is there?")
    page.get_by_label("Speaker of line 13").select_option("Eileen")
    # Alt+Down moves the new line below Eileen's; the ¶ button starts a paragraph before it.
    page.get_by_label("Text of line 13").press("Alt+ArrowDown")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Text of line 14"
    page.get_by_role("button", name="Start a new paragraph before line 14").click()
    # Delete the last line with its button, then the paragraph break left before it.
    page.get_by_role("button", name="Delete line 17").click()
    page.get_by_role("button", name="Remove the paragraph break at line 16").click()
    # "Add a line" then Backspace on the empty line deletes it again (keyboard only).
    page.get_by_role("button", name="Add a line", exact=True).click()
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Text of line 16"
    page.keyboard.press("Backspace")
    expected_body = ("Narrator: The night was very cold.\nEileen | I hate portals!\n\n"
                     "Eileen: Who is there?\n")
    assert _rows(page) == ["Narrator: The night was very cold.", "Eileen: I hate portals!", "¶",
                           "Eileen: Who is there?"]
    _saved(page)
    saved = _get(server, f"/api/stories/{sid}")
    assert saved["text"] == FRONT + expected_body                 # front matter and its comments untouched
    assert saved["check"]["ok"] and [ln["speaker"] for ln in saved["check"]["lines"]] == ["Narrator", "Eileen", "Eileen"]

    # A speaker's rate through the form: set in the front matter in place, every comment kept.
    page.click("#voice-settings summary")
    page.fill("#rate-Eileen", "150")
    page.press("#rate-Eileen", "Tab")
    page.wait_for_function("() => document.querySelector('#story-text').value.includes('rate: 150')")
    _saved(page)
    text = _get(server, f"/api/stories/{sid}")["text"]
    assert text == FRONT.replace("    voice: espeak:en-gb+f3   # hers\n",
                                 "    voice: espeak:en-gb+f3   # hers\n    rate: 150\n") + expected_body
    assert page.input_value("#speed-Eileen") == "0.86"

    # A line's own audio (the voice stage only).
    page.get_by_role("button", name="Play line 13").click()
    page.wait_for_function("() => { const a = document.querySelector('#line-audio');"
                           " return a.src.startsWith('blob:') && a.duration > 0.3; }")

    # (the rate's line moved the script down by one line: the rows are numbered as the file is)
    assert _rows(page)[3] == "Eileen: Who is there?" and page.get_by_label("Text of line 16").is_visible()

    # Render once; then edit one line and re-render it: only that clip is animated again.
    page.click("#render-btn")
    first = _wait_render(server, sid, 1)
    assert first["status"] == "done", first["error"]
    assert first["stages"]["animate"]["rendered"] == 3
    page.get_by_label("Text of line 16").fill("Who goes there?")
    _saved(page)
    page.get_by_role("button", name="Render line 16 again (the other clips come from the cache)").click()
    second = _wait_render(server, sid, 2)
    assert second["status"] == "done", second["error"]
    assert (second["stages"]["animate"]["rendered"], second["stages"]["animate"]["reused"]) == (1, 2)
    assert second["clips"]["animate"] == ["clip0003"]
    page.wait_for_function("() => document.querySelector('#log').textContent.includes("
                           "'animate: 1 rendered, 2 reused from cache')")

    # "Clip" plays that line's clip in the latest video.
    timeline = _get(server, second["files"]["timeline"])
    start = next(c["start"] for c in timeline["clips"] if c["line"] == 16)
    assert start > 0
    page.get_by_role("button", name="Watch the clip of line 16 in the latest render").click()
    page.wait_for_function(f"() => document.querySelector('#player').currentTime >= {start - 0.05}")
    assert "clip0003" in page.text_content("#line-state") and "changed since" not in page.text_content("#line-state")
    page.get_by_label("Text of line 16").fill("Who is it?")       # the video now shows an older version
    page.get_by_role("button", name="Watch the clip of line 16 in the latest render").click()
    page.wait_for_function("() => document.querySelector('#line-state').textContent.includes('changed since')")
    page.get_by_label("Text of line 16").fill("Who goes there?")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "studio-lines.png"), full_page=True)

    # Listen highlights the row being spoken; a problem's "Line n" link goes to its row.
    page.click("#listen-btn")
    page.wait_for_selector("#line-rows li.speaking")
    page.get_by_label("Text of line 14").fill("")
    page.wait_for_selector("#line-rows li.has-problem[data-line='14']")
    page.click("#problems a.goto-line")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Text of line 14"
    page.keyboard.type("I hate portals!")
    page.wait_for_function("() => !document.querySelector('#line-rows li.has-problem')")

    # At phone size the rows fit the screen (no sideways scrolling).
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "studio-lines-phone.png"), full_page=True)

    # "New speaker…": a name typed in place of the menu is declared under speakers: and given the line.
    page.get_by_label("Speaker of line 16").select_option(label="New speaker…")
    page.get_by_label("Name of the new speaker of line 16").fill("Zoë")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#story-text').value.includes('Zoë: Who goes there?')")
    assert page.get_by_label("Speaker of line 17").input_value() == "Zoë"

    # The Text view shows exactly the saved text.
    page.get_by_role("button", name="Text", exact=True).click()
    _saved(page)
    assert page.input_value("#story-text") == _get(server, f"/api/stories/{sid}")["text"]
    final = page.input_value("#story-text")
    assert "Eileen: I hate portals!\n" in final                       # the row rewritten as `Name: text`
    assert final.startswith(FRONT.replace("    voice: espeak:en-gb+f3   # hers\n",
                                          "    voice: espeak:en-gb+f3   # hers\n    rate: 150\n  Zoë: {}\n"))
    assert final.endswith("\n\nZoë: Who goes there?\n")
    assert "Who goes there?" in page.input_value("#story-text") and not errors, errors
