"""The studio's voice picker and framing preview API: voices described and searched, a voice spec checked
the way a render resolves it, which voice "automatic" is per speaker, and the first frame of each speaker
as the story's aspect/framing/layout will crop it (a small JPEG)."""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, jsonify, request

from deepstory.cast import automatic_voices, resolve_portraits
from deepstory.errors import StoryError
from deepstory.story import Story, parse_story
from deepstory.voices.catalog import describe_voice, search_voices, voice_catalog

from .api import _story, _studio
from .casting import DATA, REPO, voice_problem

bp = Blueprint("api_voices", __name__, url_prefix="/api")
MAX_RESULTS = 300            # a search answers at most this many voices (the picker shows them grouped)
PREVIEW_SIDE = 360           # the framing preview's longest side in pixels (the story frame scaled down)
_CLI_HINT = re.compile(r"\s*[(;]\s*run 'python run_story\.py voices'[^)]*\)?")


def _catalog():
    return voice_catalog(DATA)


def _described(spec: str | None) -> dict | None:
    info = describe_voice(spec, DATA) if spec else None
    return info.json() if info else None


@bp.get("/voices/catalog")
def get_voice_catalog():
    """?q=female english: the voices matching every word (all when empty), neural families first."""
    query = request.args.get("q", "")[:200]
    found = search_voices(_catalog(), query)
    return jsonify(voices=[v.json() for v in found[:MAX_RESULTS]], total=len(found), query=query)


@bp.get("/voices/check")
def get_voice_check():
    """?voice=SPEC: {"ok": true, "voice": {...}} or {"ok": false, "problem": why} (the render's own parser)."""
    spec = request.args.get("voice", "").strip()
    if not spec:
        return jsonify(ok=False, problem="type a voice, or pick one from the list")
    why = voice_problem(spec[:300])
    if why:
        return jsonify(ok=False, problem=_CLI_HINT.sub("", why))
    return jsonify(ok=True, voice=_described(spec) or {"spec": spec, "label": spec})


def _parsed(story_id: str) -> Story:
    try:
        return parse_story(_story(story_id)["text"], name="preview", base_dir=REPO)
    except StoryError as exc:
        raise StoryError(f"fix the story first: {exc}") from None


@bp.get("/stories/<story_id>/voices")
def get_story_voices(story_id: str):
    """Per speaker: its voice (described) and, without one, the voice "automatic" resolves to."""
    story = _parsed(story_id)
    auto = automatic_voices(story)
    speakers = []
    for name, sp in story.speakers.items():
        entry = {"name": name, "voice": sp.voice, "info": _described(sp.voice), "automatic": None}
        if name in auto:
            spec, rate, pitch = auto[name]
            entry["automatic"] = {"spec": spec, "rate": rate, "pitch": pitch, "info": _described(spec)}
        speakers.append(entry)
    return jsonify(speakers=speakers)


# ------------------------------------------------------------------------------------ framing preview
def _with_gallery_portraits(story: Story) -> Story:
    """Portrait ids swapped for the gallery's files (a story never names a path the server opens)."""
    for sp in story.speakers.values():
        if sp.portrait:
            path = _studio().gallery.path(sp.portrait)
            if path is None:
                raise StoryError(f"{sp.name}: portrait {sp.portrait!r} is not in the gallery")
            sp.portrait = str(path.resolve())
    return story


@bp.get("/stories/<story_id>/framing")
def get_framing(story_id: str):
    """What the framing preview shows: the story frame size and one view per speaker (and the duo scene)."""
    from deepstory.framing_preview import first_scene
    story = _with_gallery_portraits(_parsed(story_id))
    from deepstory.assembly import story_frame_size
    from deepstory.cast import Cast
    size = story_frame_size(story, Cast({}, resolve_portraits(story)))
    views = [{"view": n, "label": n} for n in story.speakers]
    scene = first_scene(story)
    if scene:
        views.insert(0, {"view": "duo", "label": f"{scene[0]} and {scene[1]} side by side"})
    rev = _story(story_id).get("revision", 1)
    for v in views:
        v["url"] = f"/api/stories/{story_id}/framing.jpg?view={_quote(v['view'])}&r={rev}"
    return jsonify(size=list(size), aspect=story.aspect, framing=story.framing, layout=story.layout,
                   transition=story.transition, views=views)


def _quote(s: str) -> str:
    from urllib.parse import quote
    return quote(s, safe="")


@bp.get("/stories/<story_id>/framing.jpg")
def get_framing_image(story_id: str):
    """?view=NAME (a speaker's first frame) or ?view=duo (the first duo scene); &full=1 at the story's own
    frame size, else scaled to at most PREVIEW_SIDE pixels."""
    import cv2
    from deepstory import framing_preview
    story = _with_gallery_portraits(_parsed(story_id))
    view = request.args.get("view", "")
    portraits = resolve_portraits(story)
    if view == "duo":
        scene = framing_preview.first_scene(story)
        if scene is None:
            abort(404, "no two-speaker scene to show side by side (set layout: duo and write a dialogue)")
        frame = framing_preview.duo_frame(story, portraits, scene)
    else:
        name = next((n for n in story.speakers if n.lower() == view.lower()), None)
        if name is None:
            abort(404, f"no speaker {view!r} in this story")
        frame = framing_preview.speaker_frames(story, portraits)[name]
    if request.args.get("full") != "1":
        h, w = frame.shape[:2]
        scale = min(1.0, PREVIEW_SIDE / max(h, w))
        if scale < 1:
            frame = cv2.resize(frame, (max(2, round(w * scale)), max(2, round(h * scale))), interpolation=cv2.INTER_AREA)
    ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise StoryError("could not encode the preview")
    return Response(jpg.tobytes(), mimetype="image/jpeg", headers={"Cache-Control": "no-store"})
