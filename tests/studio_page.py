"""Opening the studio on a new story in a real Chromium, the way every browser test starts."""
from __future__ import annotations


def new_story_page(browser, server: str, *, width: int = 1366, height: int = 860, timeout: int = 60_000):
    """(page, errors): a fresh page on a new story, ready for input; `errors` collects uncaught page errors and
    Content-Security-Policy violations (the studio must work under its own policy)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(timeout)          # the machine may be busy
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(server + "/")
    page.get_by_role("button", name="New story").click()
    page.wait_for_url("**/stories/s*")
    page.wait_for_selector("body[data-ready]")
    return page, errors
