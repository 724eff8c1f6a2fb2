"""Per-line endpoints for the studio's line editor: one line's speech, and re-rendering one line.

A line is named by its number in the saved story text (the `number` of /api/check's `lines`), so a
client that edits the text and saves first always means the line it shows.
"""
from __future__ import annotations

import dataclasses
import io

from flask import Blueprint, Response, abort, current_app, jsonify

from deepstory.story import Line, Story

from . import api
from .casting import DATA, prepare_story

bp = Blueprint("api_lines", __name__, url_prefix="/api/stories/<story_id>/lines")


def _line(story_id: str, number: int) -> tuple[Story, int, Line]:
    """(the story ready to speak, the line's index among the spoken lines, the line); 404 for no such line."""
    record = api._story(story_id)
    story = prepare_story(record["text"], current_app.extensions["deepstory"].gallery, name="line")
    for index, line in enumerate(story.lines):
        if line.number == number:
            return story, index, line
    abort(404, f"line {number} of story {story_id!r} is not a spoken line")


@bp.get("/<int:number>/audio")
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


@bp.post("/<int:number>/render")
def post_line_render(story_id: str, number: int):
    """Render the story again for this line (after editing it): every other clip comes from the stage
    cache, so only this line's clip is spoken, driven and animated. Body as POST .../renders; 202 with the
    render and {"line": number, "clip": its clip id}."""
    _, index, _ = _line(story_id, number)
    response, status = api.post_render(story_id)
    return jsonify({**response.get_json(), "line": number, "clip": f"clip{index + 1:04d}"}), status
