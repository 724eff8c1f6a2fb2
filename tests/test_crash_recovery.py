"""Crashes: kill -9 of a render in each stage, then a re-run gives a valid video, reuses the finished work
and leaves no temp file anywhere; SIGTERM of the studio mid-render, a restart, and the render resumes."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from deepstory.media import probe
from storyfiles import REPO, THREE, THREE_BODY, make_story_dir

ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _leftovers(*folders: Path) -> list[Path]:
    return [p for f in folders if f.exists() for p in f.rglob("*") if ".part" in p.name]


def _kill_when(cmd: list[str], marker: str, cwd: Path) -> bool:
    """Run `cmd`, SIGKILL it once `marker` shows on its stderr (tqdm bars); False if it finished first."""
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=cwd, env=ENV)
    seen = b""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        chunk = os.read(proc.stderr.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
        if marker.encode() in seen:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
    proc.wait()
    return False


@pytest.mark.slow
@pytest.mark.parametrize("marker", ["voice", "drive", "animate", "animate : 40%", "assemble"])
def test_kill_9_in_each_stage_then_rerun(tmp_path, marker):
    body = "\n".join(THREE_BODY.splitlines()[:3]) + "\n"          # three clips, three speakers
    story = make_story_dir(tmp_path / "s", body, speakers=THREE, animator="builtin")
    out, cache = tmp_path / "out", tmp_path / "cache"
    cmd = [sys.executable, str(REPO / "run_story.py"), str(story), "-o", str(out), "--cache", str(cache)]
    _kill_when(cmd, marker, tmp_path)
    assert not (out / "tale.mp4").exists() or probe(out / "tale.mp4").frames > 0   # never half-written
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=ENV)
    assert r.returncode == 0, r.stderr[-2000:]
    p = probe(out / "tale.mp4")
    assert p.video_codec == "h264" and p.frames > 0 and abs(p.video_seconds - p.audio_seconds) < 0.05
    if marker.startswith("animate :") or marker == "assemble":
        assert "reused from cache" in r.stderr and "animate: 3 rendered" not in r.stderr, r.stderr[-1500:]
    assert _leftovers(out, cache) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.token = ""

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", "X-CSRF-Token": self.token})
        with self.opener.open(req, timeout=30) as r:
            return json.loads(r.read() or b"{}")

    def wait_up(self) -> None:
        for _ in range(300):
            try:
                self.token = self.call("GET", "/api/csrf")["token"]
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("studio did not start")


def _serve(tmp: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(REPO / "run_story.py"), "serve", "--port", str(port),
                             "--data", str(tmp / "web"), "--cache", str(tmp / "cache")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp, env=ENV)


@pytest.mark.slow
def test_sigterm_of_the_studio_mid_render_then_resume(tmp_path):
    port = _free_port()
    server = _serve(tmp_path, port)
    try:
        api = Api(port)
        api.wait_up()
        text = "---\nanimator: builtin\nmax_side: 256\n---\n" + THREE_BODY.replace("Twin:", "Narrator:")
        sid = api.call("POST", "/api/stories", {"text": text})["id"]
        jid = api.call("POST", f"/api/stories/{sid}/renders", {})["id"]
        for _ in range(600):
            job = api.call("GET", f"/api/renders/{jid}")
            if job["stages"].get("animate", {}).get("rendered", 0) >= 1:
                break
            time.sleep(0.05)
        assert job["status"] == "running", job
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server = _serve(tmp_path, port)
        api = Api(port)
        api.wait_up()
        job = api.call("GET", f"/api/renders/{jid}")
        assert job["status"] == "interrupted", job
        resumed = api.call("POST", f"/api/renders/{jid}/resume", {})
        for _ in range(1200):
            job = api.call("GET", f"/api/renders/{resumed['id']}")
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert job["status"] == "done", job
        assert job["stages"]["animate"]["reused"] >= 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert _leftovers(tmp_path / "cache", tmp_path / "web") == []
