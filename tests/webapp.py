"""Helpers for the web studio tests: an app in a temp folder and a client that sends the CSRF token."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from web.app import create_app


def make_app(tmp: Path, **config: Any) -> Flask:
    cfg = {"DATA_DIR": str(tmp / "web"), "CACHE_DIR": str(tmp / "cache"), "TESTING": True, **config}
    return create_app(cfg)


class Client:
    """A test client that fetched its CSRF token like the API docs say (GET /api/csrf, keep the cookie)."""

    def __init__(self, app: Flask):
        self.app = app
        self.c: FlaskClient = app.test_client()
        self.token = self.c.get("/api/csrf").get_json()["token"]

    def get(self, url: str, **kw):
        return self.c.get(url, **kw)

    def post(self, url: str, **kw):
        return self.c.post(url, headers={"X-CSRF-Token": self.token}, **kw)

    def put(self, url: str, **kw):
        return self.c.put(url, headers={"X-CSRF-Token": self.token}, **kw)

    def patch(self, url: str, **kw):
        return self.c.patch(url, headers={"X-CSRF-Token": self.token}, **kw)

    def delete(self, url: str, **kw):
        return self.c.delete(url, headers={"X-CSRF-Token": self.token}, **kw)

    def new_story(self, text: str) -> dict:
        r = self.post("/api/stories", json={"text": text})
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def render(self, story_id: str, animator: str | None = None) -> dict:
        r = self.post(f"/api/stories/{story_id}/renders", json={"animator": animator} if animator else {})
        assert r.status_code == 202, r.get_json()
        return r.get_json()

    def wait(self, job_id: str, timeout: float = 120.0, until: tuple[str, ...] = ("done", "failed", "cancelled",
                                                                                  "interrupted")) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = self.get(f"/api/renders/{job_id}").get_json()
            if job["status"] in until:
                return job
            time.sleep(0.05)
        raise AssertionError(f"render {job_id} still {job['status']} after {timeout} s: {job['log'][-5:]}")


def story_text(lines: str, *, speakers: dict[str, dict[str, str]] | None = None, animator: str = "still",
               title: str = "Test tale") -> str:
    fm = ["---", f"title: {title}", f"animator: {animator}", "max_side: 128"]
    if speakers:
        fm.append("speakers:")
        for who, spec in speakers.items():
            fm.append(f"  {who}: {{{', '.join(f'{k}: {v!r}' for k, v in spec.items())}}}")
    return "\n".join(fm + ["---", lines.strip(), ""])
