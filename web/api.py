"""The JSON API (used by the studio's pages and documented in the README for automation)."""
from __future__ import annotations

import io
import json
import re
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, send_file, stream_with_context

from deepstory.errors import DeepstoryError, StoryError, VoiceError
from deepstory.front_matter import set_settings
from deepstory.duo import LAYOUTS
from deepstory.story import ASPECTS, FRAMINGS
from deepstory.transitions import TRANSITIONS
from deepstory.voices import list_voices, resolve_voice

from .casting import DATA, available_animators, check_story, prepare_story, set_cast, voice_problem
from .jobs import TERMINAL
from .security import csrf_token
from .gallery import PortraitNotFound
from .stories import StoryConflict, StoryNotFound

bp = Blueprint("api", __name__, url_prefix="/api")
PREVIEW_TEXT = "Hello! This is how I sound when I tell your story."
FILE_TYPES = {"video": "video/mp4", "srt": "text/plain; charset=utf-8", "vtt": "text/vtt",
              "timeline": "application/json", "poster": "image/jpeg"}
# story settings the studio edits through forms: each one's allowed values (None: free text, a title)
STORY_SETTINGS = {"title": None, "aspect": ASPECTS, "framing": FRAMINGS, "captions": ("off", "burn"),
                  "transition": TRANSITIONS, "layout": LAYOUTS}


def _studio():
    return current_app.extensions["deepstory"]


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DeepstoryError("send a JSON object (Content-Type: application/json)")
    return data


def _story(story_id: str) -> dict[str, Any]:
    try:
        return _studio().stories.get(story_id)
    except StoryNotFound:
        abort(404, f"no story {story_id!r}")


def _story_json(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "check": check_story(record["text"], _studio().gallery),
            "renders": [j.public() for j in _studio().renders.list(record["id"])][:10]}


def _job(job_id: str):
    job = _studio().renders.get(job_id)
    if job is None:
        abort(404, f"no render {job_id!r}")
    return job


# ---------------------------------------------------------------------------------------------- misc
@bp.get("/csrf")
def get_csrf():
    return jsonify(token=csrf_token())


@bp.get("/animators")
def get_animators():
    return jsonify(animators=available_animators())


# -------------------------------------------------------------------------------------------- stories
@bp.get("/stories")
def get_stories():
    return jsonify(stories=_studio().stories.list())


@bp.post("/stories")
def post_story():
    record = _studio().stories.create(_body().get("text", ""))
    return jsonify(_story_json(record)), 201


@bp.get("/stories/<story_id>")
def get_story(story_id: str):
    return jsonify(_story_json(_story(story_id)))


@bp.put("/stories/<story_id>")
def put_story(story_id: str):
    """{"text": ..., "base_revision": N}: with base_revision, 409 (and the current story) when someone
    saved a newer revision since (the same story open in two tabs) instead of overwriting it."""
    _story(story_id)
    body = _body()
    base = body.get("base_revision")
    if base is not None and (isinstance(base, bool) or not isinstance(base, int)):
        raise StoryError("'base_revision' must be the whole number the story was loaded with")
    try:
        record = _studio().stories.update(story_id, body.get("text"), base)
    except StoryConflict as exc:
        return jsonify(error=str(exc), status=409, story=_story_json(exc.current)), 409
    return jsonify(_story_json(record))


@bp.patch("/stories/<story_id>")
def patch_story(story_id: str):
    """{"title": ..., "aspect": "16:9", "framing": "fill", "captions": "burn", "base_revision": N}: story
    settings set in the front matter line by line (comments and everything else kept as written)."""
    record = _story(story_id)
    body = _body()
    values = {}
    for key, value in body.items():
        if key == "base_revision":
            continue
        if key not in STORY_SETTINGS:
            raise StoryError(f"cannot set {key!r} here; settable: {', '.join(STORY_SETTINGS)}")
        allowed = STORY_SETTINGS[key]
        if allowed is None:
            if not isinstance(value, str) or not value.strip() or len(value) > 200 or "\n" in value:
                raise StoryError(f"'{key}' must be one line of text (at most 200 characters)")
            value = value.strip()
        elif value not in allowed:
            raise StoryError(f"'{key}' must be one of {', '.join(allowed)}")
        values[key] = value
    text = set_settings(record["text"], values)
    try:
        updated = _studio().stories.update(story_id, text, body.get("base_revision"))
    except StoryConflict as exc:
        return jsonify(error=str(exc), status=409, story=_story_json(exc.current)), 409
    return jsonify(_story_json(updated))


@bp.delete("/stories/<story_id>")
def delete_story(story_id: str):
    _story(story_id)
    _studio().stories.delete(story_id)
    return "", 204


@bp.post("/check")
def post_check():
    text = _body().get("text")
    if not isinstance(text, str):
        raise StoryError("'text' must be the story as a string")
    return jsonify(check_story(text, _studio().gallery))


@bp.post("/stories/<story_id>/cast")
def post_cast(story_id: str):
    """{"speakers": {"Name": {"voice": "espeak:en-us+f3", "portrait": "astronaut"}}, "animator": "builtin"}"""
    record = _story(story_id)
    body = _body()
    speakers, animator = body.get("speakers") or {}, body.get("animator")
    if not isinstance(speakers, dict):
        raise StoryError("'speakers' must map speaker names to {voice, portrait}")
    for name, change in speakers.items():
        if not isinstance(change, dict):
            raise StoryError(f"{name}: give {{voice, portrait}}")
        if change.get("voice"):
            why = voice_problem(str(change["voice"]))
            if why:
                raise VoiceError(f"{name}: {why}")
        if change.get("portrait") and _studio().gallery.path(change["portrait"]) is None:
            raise StoryError(f"{name}: portrait {change['portrait']!r} is not in the gallery")
    if animator is not None and animator not in available_animators():
        raise StoryError(f"animator {animator!r} is not available here; choose one of: "
                         f"{', '.join(available_animators())}")
    text = set_cast(record["text"], speakers, animator)
    return jsonify(_story_json(_studio().stories.update(story_id, text)))


# --------------------------------------------------------------------------------------------- voices
@bp.get("/voices")
def get_voices():
    return jsonify(voices=list_voices(DATA))


@lru_cache(maxsize=64)
def _preview_wav(spec: str, text: str) -> bytes:
    import numpy as np
    import soundfile as sf
    with resolve_voice(spec) as voice:
        speech = voice.synthesize(text)
    buf = io.BytesIO()
    sf.write(buf, np.asarray(speech.audio, np.float32), speech.sample_rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@bp.get("/voices/preview")
def get_voice_preview():
    spec = request.args.get("voice", "")
    text = request.args.get("text", PREVIEW_TEXT).strip()[:200] or PREVIEW_TEXT
    why = voice_problem(spec)
    if why:
        raise VoiceError(why)
    return Response(_preview_wav(spec, text), mimetype="audio/wav",
                    headers={"Cache-Control": "max-age=3600"})


# ------------------------------------------------------------------------------------------- listen
def _listen_path(story_id: str):
    return _studio().stories.root.parent / "listen" / f"{story_id}.wav"


@bp.post("/stories/<story_id>/listen")
def post_listen(story_id: str):
    """The story's audio from the voice stage only (cached phrases; seconds, no animation):
    {"url": WAV, "lines": [{line, speaker, text, start, end}]}. The story itself is not changed."""
    import soundfile as sf
    from deepstory.cache import atomic_write
    from deepstory.listen import speak_story
    record = _story(story_id)
    story = prepare_story(record["text"], _studio().gallery, name="listen")
    audio, rate, lines = speak_story(story, _studio().cache_dir, data_dir=DATA)
    atomic_write(_listen_path(story_id), lambda tmp: sf.write(tmp, audio, rate, format="WAV", subtype="PCM_16"))
    return jsonify(url=f"/api/stories/{story_id}/listen.wav?r={record.get('revision', 1)}", lines=lines,
                   duration=round(len(audio) / rate, 3))


@bp.get("/stories/<story_id>/listen.wav")
def get_listen(story_id: str):
    _story(story_id)
    path = _listen_path(story_id)
    if not path.is_file():
        abort(404, "press Listen first")
    return send_file(path, mimetype="audio/wav", max_age=0)


# ------------------------------------------------------------------------------------------ portraits
@bp.get("/portraits")
def get_portraits():
    return jsonify(portraits=_studio().gallery.list())


@bp.post("/portraits")
def post_portrait():
    upload = request.files.get("image")
    if upload is None:
        raise DeepstoryError("send the image as multipart form field 'image'")
    # The client's file name is only a display label; the file is stored under a new server id.
    info = _studio().gallery.add_upload(upload.read(), upload.filename)
    return jsonify(info), 201


@bp.patch("/portraits/<portrait_id>")
def patch_portrait(portrait_id: str):
    """{"label": "Captain"}: rename an uploaded portrait (bundled ones keep their names)."""
    label = _body().get("label")
    try:
        return jsonify(_studio().gallery.relabel(portrait_id, label))
    except PortraitNotFound:
        abort(404, f"no uploaded portrait {portrait_id!r}")


@bp.delete("/portraits/<portrait_id>")
def delete_portrait(portrait_id: str):
    """Remove an upload (its file and label; the stage cache keeps clips already made with it)."""
    try:
        _studio().gallery.delete(portrait_id)
    except PortraitNotFound:
        abort(404, f"no uploaded portrait {portrait_id!r}")
    return "", 204


@bp.get("/portraits/<portrait_id>/image")
def get_portrait_image(portrait_id: str):
    path = _studio().gallery.path(portrait_id)
    if path is None:
        abort(404, f"no portrait {portrait_id!r}")
    return send_file(path, max_age=3600)


# -------------------------------------------------------------------------------------------- renders
@bp.post("/stories/<story_id>/renders")
def post_render(story_id: str):
    record = _story(story_id)
    body = request.get_json(silent=True) or {}
    animator = body.get("animator") if isinstance(body, dict) else None
    if animator is not None and animator not in available_animators():
        raise StoryError(f"animator {animator!r} is not available here; choose one of: "
                         f"{', '.join(available_animators())}")
    report = check_story(record["text"], _studio().gallery, animator=animator)
    if report["problems"]:
        raise StoryError("fix the story first: " + "; ".join(p["message"] for p in report["problems"]))
    # the file name keeps the title's letters, accents included (Unicode word characters only: no path tricks)
    name = re.sub(r"[^\w]+|_", "-", (report["title"] or "story").lower()).strip("-")[:40].strip("-") or "story"
    check_speech = body.get("check_speech") is True if isinstance(body, dict) else False
    job = _studio().renders.submit(story_id=story_id, name=name, title=report["title"], text=record["text"],
                                   animator=animator, check_speech=check_speech)
    return jsonify(job.public()), 202


@bp.get("/renders")
def get_renders():
    story_id = request.args.get("story")
    return jsonify(renders=[j.public() for j in _studio().renders.list(story_id)])


@bp.get("/renders/<job_id>")
def get_render(job_id: str):
    return jsonify(_job(job_id).public(with_text=request.args.get("text") == "1"))


@bp.post("/renders/<job_id>/cancel")
def post_cancel(job_id: str):
    return jsonify(_studio().renders.cancel(_job(job_id)).public())


@bp.post("/renders/<job_id>/resume")
def post_resume(job_id: str):
    return jsonify(_studio().renders.resume(_job(job_id)).public()), 202


@bp.delete("/renders/<job_id>")
def delete_render(job_id: str):
    _studio().renders.delete(_job(job_id))
    return "", 204


@bp.get("/renders/<job_id>/events")
def get_render_events(job_id: str):
    """Server-sent events: the job's record each time it changes, until it finishes."""
    job = _job(job_id)
    board = _studio().renders

    def stream():
        snap, version = board.snapshot(job.id)
        yield f"data: {json.dumps(snap, ensure_ascii=False)}\n\n"
        while snap is not None and snap["status"] not in TERMINAL:
            new, new_version = board.wait(job.id, version, timeout=15.0)
            if new_version == version:
                yield ": keep-alive\n\n"
                continue
            snap, version = new, new_version
            yield f"data: {json.dumps(snap, ensure_ascii=False)}\n\n"

    return Response(stream_with_context(stream()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.get("/renders/<job_id>/files/<kind>")
def get_render_file(job_id: str, kind: str):
    job = _job(job_id)
    if kind not in FILE_TYPES:
        abort(404, f"no output {kind!r}; outputs are: {', '.join(FILE_TYPES)}")
    name = job.outputs.get(kind)
    if job.status != "done" or not name:
        abort(404, f"render {job.id} has no {kind} yet (it is {job.status})")
    path = _studio().renders.folder(job) / name
    if not path.is_file():
        abort(410, f"the {kind} of render {job.id} is gone from the server; render again")
    # subtitles are text a story author wrote: never rendered inline as a document (the player reads VTT)
    download = request.args.get("download") == "1" or kind == "srt"
    return send_file(path, mimetype=FILE_TYPES[kind], as_attachment=download, download_name=name,
                     conditional=True, max_age=0)
