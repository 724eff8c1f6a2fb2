"""HTML pages: the story list, the studio for one story, and a watch page for one render."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from .casting import available_animators
from .stories import StoryNotFound

bp = Blueprint("pages", __name__)

STARTER = """---
title: A new story
animator: {animator}
---
Narrator: Once upon a time, a portrait wanted to tell a story.
"""


def _studio():
    return current_app.extensions["deepstory"]


@bp.get("/")
def index():
    studio = _studio()
    return render_template("index.html", stories=studio.stories.list(), renders=studio.renders.list()[:20])


@bp.post("/stories")
def new_story():
    record = _studio().stories.create(STARTER.format(animator=available_animators()[0]))
    return redirect(url_for("pages.story", story_id=record["id"]), code=303)


@bp.get("/stories/<story_id>")
def story(story_id: str):
    try:
        record = _studio().stories.get(story_id)
    except StoryNotFound:
        abort(404, f"no story {story_id!r}")
    return render_template("studio.html", story=record)


@bp.get("/renders/<job_id>")
def watch(job_id: str):
    job = _studio().renders.get(job_id)
    if job is None:
        abort(404, f"no render {job_id!r}")
    return render_template("watch.html", job=job.public())
