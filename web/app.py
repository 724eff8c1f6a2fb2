"""App factory for the Deepstory web studio.

    from web.app import create_app
    create_app({"DATA_DIR": "export/web"}).run()          # or: python run_story.py serve

Config keys (all optional):
  DATA_DIR            stories, uploads, render jobs and outputs (default export/web/)
  CACHE_DIR           the stage cache, shared with the CLI (default export/.cache/)
  RENDER_WORKERS      renders run at once; more are queued (default 1)
  MAX_CONTENT_LENGTH  largest request body, i.e. upload (default 16 MB)
  MAX_PIXELS          largest uploaded portrait in pixels (default 16 megapixels)
  ALLOWED_HOSTS       host names the studio answers to (default loopback: 127.0.0.1, localhost, ::1);
                      other Host headers get 400 (DNS rebinding). "*" turns the check off.
  MAX_UPLOADS         uploaded portraits kept at most (default 500); more are refused until some are deleted
  MAX_UPLOAD_BYTES    total size of stored uploads (default 1 GB)
  SECRET_KEY          signs the session cookie that holds the CSRF token (default: made once, kept in DATA_DIR)
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from flask import Flask

from deepstory.executors import executor_from_setting
from deepstory.pipeline import RenderResult, default_cache_dir, render_story
from deepstory.progress import Reporter

from . import api, api_lines, api_voices, pages, security
from .casting import REPO, prepare_story, set_cast
from .gallery import Gallery
from .jobs import Job, RenderQueue
from .stories import StoryStore

DEMO = REPO / "data" / "stories" / "demo.md"


@dataclass
class Studio:
    stories: StoryStore
    gallery: Gallery
    renders: RenderQueue
    cache_dir: Path
    executor: str = "in-process"        # RENDER_EXECUTOR: where clips render (deepstory.executors)


def _secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.is_file():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _seed_demo(stories: StoryStore, gallery: Gallery) -> None:
    """The bundled demo on first start, its portrait paths turned into gallery ids."""
    if stories.list() or not DEMO.is_file():
        return
    from deepstory.story import parse_story
    text = DEMO.read_text(encoding="utf-8")
    story = parse_story(text, base_dir=DEMO.parent)
    ids = {}
    for name, sp in story.speakers.items():
        if sp.portrait:
            pid = gallery.id_for_path((DEMO.parent / sp.portrait).resolve())
            ids[name] = {"portrait": pid}
    stories.create(set_cast(text, ids) if ids else text)


def _renderer(studio_ref: Callable[[], Studio]):
    def render(job: Job, reporter: Reporter, cancel: Callable[[], bool], out_dir: Path) -> RenderResult:
        studio = studio_ref()
        story = prepare_story(job.text, studio.gallery, name=job.name, animator=job.animator)
        return render_story(story, out_dir, cache_dir=studio.cache_dir, reporter=reporter, cancel=cancel,
                            animator=job.animator, data_dir=REPO / "data", check_speech=job.check_speech,
                            executor=executor_from_setting(studio.executor))
    return render


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(DATA_DIR=str(REPO / "export" / "web"), CACHE_DIR=str(default_cache_dir()),
                      RENDER_WORKERS=1, RENDER_EXECUTOR="in-process", MAX_CONTENT_LENGTH=16 * 2**20, MAX_PIXELS=16_000_000,
                      ALLOWED_HOSTS=list(security.LOOPBACK_HOSTS), MAX_UPLOADS=500, MAX_UPLOAD_BYTES=2**30,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True, SEED_DEMO=True)
    app.config.update(config or {})
    data_dir = Path(app.config["DATA_DIR"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(data_dir)

    holder: dict[str, Studio] = {}
    gallery = Gallery(data_dir / "portraits", max_pixels=int(app.config["MAX_PIXELS"]),
                      max_uploads=int(app.config["MAX_UPLOADS"]), max_upload_bytes=int(app.config["MAX_UPLOAD_BYTES"]))
    stories = StoryStore(data_dir / "stories")
    renders = RenderQueue(data_dir, _renderer(lambda: holder["studio"]), workers=int(app.config["RENDER_WORKERS"]))
    executor_from_setting(app.config["RENDER_EXECUTOR"]).close()       # a bad setting fails at start, not per render
    holder["studio"] = Studio(stories, gallery, renders, Path(app.config["CACHE_DIR"]),
                              executor=str(app.config["RENDER_EXECUTOR"]))
    app.extensions["deepstory"] = holder["studio"]
    if app.config["SEED_DEMO"]:
        _seed_demo(stories, gallery)

    security.install(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_lines.bp)
    app.register_blueprint(api_voices.bp)          # voice picker, framing preview
    app.register_blueprint(pages.bp)
    return app
