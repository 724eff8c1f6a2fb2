"""End to end in a real headless Chromium (Debian's, driven by Playwright): write, cast, render, watch.

Needs `WITH_BROWSER=1 bash scripts/install.sh` (apt chromium + chromium-driver). Screenshots go to
test-artifacts/ (git-ignored).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from web.casting import available_animators
from studio_page import new_story_page


pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ANIMATOR = "builtin" if "builtin" in available_animators() else "still"
STORY = f"""---
title: Browser tale
animator: {ANIMATOR}
max_side: 256
---
Narrator: Hello there. This is the first line of our little story.
Eileen: And this is the second line, which comes a little later.
"""


@pytest.mark.slow
def test_write_cast_render_watch_in_a_real_browser(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors = new_story_page(browser, server)     # renders wait longer below

    # A broken story cannot be rendered: Render is disabled with the reason.
    page.fill("#story-text", "---\nanimator: nope\n---\nNarrator: hi\n")
    page.get_by_role("button", name="Check").click()
    page.wait_for_function("() => document.querySelectorAll('#problems li').length >= 1")
    assert page.is_disabled("#render-btn")
    assert "Fix the problems" in page.inner_text("#render-state")

    # Write: the check view lists the parsed lines with their speakers, no render needed.
    page.fill("#story-text", STORY)
    page.get_by_role("button", name="Check").click()
    page.wait_for_function("() => document.querySelectorAll('#lines li').length === 2")
    assert page.inner_text("#lines li:nth-child(2) .who") == "Eileen"
    assert page.is_enabled("#render-btn") and page.inner_text("#render-state") == ""
    page.get_by_role("button", name="Save").click()
    page.wait_for_function("() => document.querySelector('#save-state').textContent === 'Saved'")

    # Cast: pick a portrait from the gallery for each speaker; the face outline is shown.
    page.click("button[data-portrait=astronaut][data-speaker=Eileen]")
    page.wait_for_selector("button[data-portrait=astronaut][data-speaker=Eileen][aria-pressed=true]")
    page.click("button[data-portrait=grace_hopper][data-speaker=Narrator]")
    page.wait_for_selector("button[data-portrait=grace_hopper][data-speaker=Narrator][aria-pressed=true]")
    assert "portrait: astronaut" in page.input_value("#story-text")
    assert page.locator(".speaker .face-box").count() == 2

    # A voice preview plays.
    page.get_by_role("button", name="Preview Narrator's voice").click()
    page.wait_for_function("() => { const a = document.querySelector('.speaker[data-speaker=Narrator] audio');"
                           " return a && a.duration > 0.5; }")

    # Render with live progress.
    page.get_by_role("button", name="Render").click()
    page.wait_for_selector("#render-state.done", timeout=90_000)
    assert page.locator(".stage").count() == 5          # voice, drive, animate, frame, assemble
    assert "animate: 2 rendered, 0 reused from cache" in page.text_content("#log")

    # Watch: the video plays, a click on a script line seeks there and highlights it.
    page.wait_for_function("() => document.querySelector('#player').readyState >= 2 && "
                           "document.querySelectorAll('#script .line').length === 3")
    assert page.evaluate("() => document.querySelector('#player').textTracks.length") == 1
    page.evaluate("() => document.querySelector('#player').play()")
    page.wait_for_function("() => document.querySelector('#player').currentTime > 0.4", timeout=15_000)
    second = page.locator("#script .line").nth(2)        # 3 sentences; the last is Eileen's line
    assert second.inner_text().startswith("Eileen")
    start = float(second.get_attribute("data-start"))
    assert start > 1.0
    page.evaluate("() => document.querySelector('#player').pause()")
    second.click()
    page.wait_for_function(f"() => Math.abs(document.querySelector('#player').currentTime - {start}) < 0.6")
    page.wait_for_selector("#script .line.current[data-index='2']")
    page.evaluate("() => document.querySelector('#player').pause()")
    page.screenshot(path=str(ARTIFACTS / "studio-laptop.png"), full_page=True)

    # Swap: drop a new portrait (the astronaut mirrored, same size) and cast it as the Narrator; only the
    # Narrator's clip is animated again, the rest comes from the cache.
    page.evaluate("""async () => {
        const img = new Image(); img.src = '/api/portraits/astronaut/image'; await img.decode();
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const g = c.getContext('2d'); g.translate(c.width, 0); g.scale(-1, 1); g.drawImage(img, 0, 0);
        const blob = await new Promise(r => c.toBlob(r, 'image/png'));
        const dt = new DataTransfer(); dt.items.add(new File([blob], 'twin.png', {type: 'image/png'}));
        document.querySelector('#dropzone').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""")
    page.wait_for_function("() => document.querySelector('#upload-state').textContent.includes('face found')")
    assert page.locator("#gallery .tile").count() == 3
    page.locator("#gallery .tile").nth(2).locator("button[data-speaker=Narrator]").click()
    page.wait_for_selector("#gallery .tile:nth-child(3) button[data-speaker=Narrator][aria-pressed=true]")
    page.get_by_role("button", name="Render").click()
    page.wait_for_function("() => document.querySelector('#log').textContent.includes("
                           "'animate: 1 rendered, 1 reused from cache')", timeout=60_000)
    page.wait_for_selector("#render-state.done")
    assert page.text_content("#stages").count("0 rendered") == 2          # voice and drive all reused

    # The same page on a phone-size screen: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "studio-phone.png"), full_page=True)
    assert errors == []
