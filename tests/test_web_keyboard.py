"""The studio without a mouse, in a real Chromium: Tab goes from the editor to Render in a few presses (the
portrait gallery is one Tab stop, arrow keys move inside it), the focused control is visibly outlined."""
from __future__ import annotations

import pytest

from test_web_browser import ANIMATOR
from studio_page import new_story_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STORY = f"""---
title: Keyboard tale
animator: {ANIMATOR}
max_side: 256
speakers:
  Ann: {{voice: 'espeak:en-us+f3'}}
  Eileen: {{}}
---
Ann: Hello there.
Eileen: And hello back.
"""
MAX_TABS = 30          # editor -> Render (settings, two speakers' cast rows: 22 measured); the gallery alone has a dozen buttons


def test_tab_reaches_render_and_the_gallery_is_one_stop(server, browser):
    page, errors = new_story_page(browser, server)
    page.fill("#story-text", STORY)
    page.wait_for_function("() => document.querySelector('#save-state').textContent === 'Saved'")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    page.wait_for_function("() => !document.querySelector('#render-btn').disabled")
    gallery_buttons = page.eval_on_selector_all("#gallery button", "bs => bs.length")
    assert gallery_buttons >= 4                     # several portraits: walking them all would be slow
    page.focus("#story-text")
    path = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        path.append(page.evaluate("() => { const a = document.activeElement;"
                                  " return (a.closest('#gallery') ? 'gallery:' : '') + (a.id || a.textContent.trim()); }"))
        if path[-1] == "render-btn":
            break
    assert path[-1] == "render-btn", " > ".join(path)
    assert sum(p.startswith("gallery:") for p in path) == 1, path
    assert path.index("check-btn") < path.index("render-btn")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    # inside the gallery the arrow keys move between its buttons
    page.focus("#gallery button")
    first = page.evaluate("() => document.activeElement.outerHTML")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.closest('#gallery') !== null")
    assert page.evaluate("() => document.activeElement.outerHTML") != first
    assert errors == []
    page.close()
