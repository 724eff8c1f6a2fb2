"""Per-line endpoints for the studio's line editor: one line's speech, and re-rendering one line.

A line is named by its number in the saved story text (the `number` of /api/check's `lines`), so a
client that edits the text and saves first always means the line it shows.
"""
from __future__ import annotations

import dataclasses
import io
import re

from flask import Blueprint, Response, abort, current_app, jsonify

from deepstory.errors import StoryError
from deepstory.speaker_settings import set_speakers
from deepstory.story import _NAME, Line, Story, parse_story

from . import api
from .casting import DATA, REPO, prepare_story
from .stories import StoryConflict

bp = Blueprint("api_lines", __name__, url_prefix="/api/stories/<story_id>")


def _line(story_id: str, number: int) -> tuple[Story, int, Line]:
    """(the story ready to speak, the line's index among the spoken lines, the line); 404 for no such line."""
    record = api._story(story_id)
    story = prepare_story(record["text"], current_app.extensions["deepstory"].gallery, name="line")
    for index, line in enumerate(story.lines):
        if line.number == number:
            return story, index, line
    abort(404, f"line {number} of story {story_id!r} is not a spoken line")


@bp.get("/lines/<int:number>/audio")
def get_line_audio(story_id: str, number: int):
    """This line's speech as WAV: exactly its clip's audio in a render (lead pause included), made by the
    voice stage alone from the shared cache, so a later render or Listen reuses it."""
    import numpy as np
    import soundfile as sf
    from deepstory.cache import StageCache
    from deepstory.cast import resolve_cast
    from deepstory.progress import Reporter
    from deepstory.voice_stage import RATE, build_speech, load_speech, run_voice_stage
    story, index, line = _line(story_id, number)
    cache = StageCache(current_app.extensions["deepstory"].cache_dir)
    cast = resolve_cast(story, DATA)                     # the whole cast: default voices depend on it
    keys = run_voice_stage(dataclasses.replace(story, lines=[line]), cast, cache, Reporter(), None)[0]
    audio = load_speech(cache, build_speech(cache, line, index, keys, story.fps))["audio"]
    buf = io.BytesIO()
    sf.write(buf, np.asarray(audio, np.float32), RATE, format="WAV", subtype="PCM_16")
    return Response(buf.getvalue(), mimetype="audio/wav", headers={"Cache-Control": "no-store"})


@bp.post("/lines/<int:number>/render")
def post_line_render(story_id: str, number: int):
    """Render the story again for this line (after editing it): every other clip comes from the stage
    cache, so only this line's clip is spoken, driven and animated. Body as POST .../renders; 202 with the
    render and {"line": number, "clip": its clip id}."""
    _, index, _ = _line(story_id, number)
    response, status = api.post_render(story_id)
    return jsonify({**response.get_json(), "line": number, "clip": f"clip{index + 1:04d}"}), status


@bp.post("/speakers")
def post_speaker(story_id: str):
    """{"name": "Bob", "base_revision"?: N}: declare a new speaker under `speakers:` (edited in place, comments
    kept), so that a line can be given to them; the story record (unchanged when the name is a speaker)."""
    record = api._story(story_id)
    body = api._body()
    name = body.get("name")
    if not isinstance(name, str) or not re.fullmatch(_NAME, name.strip()) or len(name.strip()) > 40:
        raise StoryError("a speaker's name starts with a letter and has at most 40 letters, digits, spaces, "
                         "dots, apostrophes or hyphens")
    name = " ".join(name.split())
    base = body.get("base_revision")
    if base is not None and (isinstance(base, bool) or not isinstance(base, int)):
        raise StoryError("'base_revision' must be the whole number the story was loaded with")
    try:
        story = parse_story(record["text"], base_dir=REPO)
    except StoryError as exc:
        raise StoryError(f"fix the story first ({exc}), then add a speaker") from None
    if name.lower() in {n.lower() for n in story.speakers}:
        return jsonify(api._story_json(record))
    text = set_speakers(record["text"], {name: {}}, list(story.speakers))
    parse_story(text, base_dir=REPO)                 # still a story
    try:
        updated = current_app.extensions["deepstory"].stories.update(story_id, text, body.get("base_revision"))
    except StoryConflict as exc:
        return jsonify(error=str(exc), status=409, story=api._story_json(exc.current)), 409
    return jsonify(api._story_json(updated))
