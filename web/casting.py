"""Checking a story the way the studio will render it, and editing its cast in the front matter.

In the studio a speaker's portrait is a gallery id (`portrait: astronaut`, `portrait: u1a2b3c4d5e6f`),
never a path; a voice is an espeak spec or one of the listed voices; `fom:`/`sda:` settings (which hold
paths) are refused. `prepare_story` rewrites each portrait id to the server's file before rendering.
"""
from __future__ import annotations

import re
import threading
from typing import Any

from deepstory.settings import PATHS
from deepstory.errors import DeepstoryError, StoryError
from deepstory.front_matter import set_settings
from deepstory.speaker_settings import set_speakers
from deepstory.portraits import default_portraits
from deepstory.story import Story, parse_story
from deepstory.voices import list_voices, resolve_voice

from .gallery import Gallery

REPO, DATA = PATHS.repo, PATHS.data
_LINE_NO = re.compile(r"^line (\d+):")
_ok_voices: set[str] = set()
_voices_lock = threading.Lock()


def available_animators() -> list[str]:
    """Animators that can run here: builtin when its engine is installed, fom when its checkpoint is present."""
    out = []
    try:
        import deepstory.engines.builtin  # noqa: F401
        out.append("builtin")
    except ImportError:
        pass
    if (DATA / "checkpoints" / "vox-cpk.pth.tar").is_file():
        try:
            import deepstory.engines.fom  # noqa: F401
            out.append("fom")
        except ImportError:
            pass
    out.append("still")
    return out


def voice_problem(spec: str, rate: int | None = None, pitch: int | None = None) -> str | None:
    """Why `spec` cannot be used in the studio, or None. Only espeak specs and listed voices are accepted:
    other kinds name folders, and a request must not choose a path."""
    kind = spec.split(":", 1)[0].strip().lower() if ":" in spec else ""
    if kind != "espeak":
        if spec in list_voices(DATA):
            return None
        return f"unknown voice {spec!r}; pick one from the voice list"
    key = f"{spec}|{rate}|{pitch}"
    if key in _ok_voices:
        return None
    try:
        resolve_voice(spec, rate=rate, pitch=pitch)
    except DeepstoryError as exc:
        return str(exc)
    with _voices_lock:
        _ok_voices.add(key)
    return None


def _problem(exc: Exception) -> dict[str, Any]:
    msg = str(exc)
    m = _LINE_NO.match(msg)
    return {"line": int(m.group(1)) if m else None, "message": msg}


def _parse(text: str, name: str) -> Story:
    return parse_story(text, name=name, base_dir=REPO)


def check_story(text: str, gallery: Gallery, *, animator: str | None = None,
                animators: list[str] | None = None) -> dict[str, Any]:
    """What the story will do, without rendering: parsed lines, speakers with their cast, and problems.
    `animator` overrides the story's own (as a render request may)."""
    animators = animators if animators is not None else available_animators()
    report: dict[str, Any] = {"ok": False, "title": None, "animator": None, "lines": [], "speakers": [],
                              "problems": []}
    try:
        story = _parse(text, "Untitled story")
    except StoryError as exc:                  # every problem at once, each with its line when it has one
        report["problems"] += [_problem(StoryError(m)) for m in exc.problems]
        return report
    problems = report["problems"]
    if animator:
        story.animator = animator
    report.update(title=story.title, animator=story.animator)
    report["lines"] = [{"number": ln.number, "speaker": ln.speaker, "text": ln.text,
                        "sentences": [s.text for s in ln.sentences]} for ln in story.lines]
    if story.animator not in animators:
        problems.append({"line": None, "message": f"animator {story.animator!r} is not available here; "
                                                  f"choose one of: {', '.join(animators)}"})
    for key in ("fom", "sda"):       # paths to model files: the studio never opens a path a page names
        if any(getattr(getattr(story, key), f, None) for f in ("config", "checkpoint", "base_image")):
            problems.append({"line": None, "message": f"'{key}:' settings name files and are not accepted in "
                                                      f"the studio; use the command line for custom checkpoints"})
    auto = {name: (gallery.id_for_path(path) or path.stem, mirror)
            for name, (path, mirror) in default_portraits(story.speakers).items()}
    for name, sp in story.speakers.items():
        entry = {"name": name, "voice": sp.voice, "portrait": sp.portrait, "rate": sp.rate, "pitch": sp.pitch,
                 "lines": sum(1 for ln in story.lines if ln.speaker == name), "face": None}
        if sp.voice:
            why = voice_problem(sp.voice, sp.rate, sp.pitch)
            if why:
                problems.append({"line": None, "message": f"{name}: {why}"})
        if sp.portrait:
            info = gallery.info(sp.portrait)
            if info is None:
                problems.append({"line": None, "message": f"{name}: portrait {sp.portrait!r} is not in the gallery; "
                                                          f"pick one on the Cast panel (by id, not a path)"})
            else:
                entry["face"] = info["face"]
                if info["face"] is None and story.no_face != "still" and story.animator != "still":
                    problems.append({"line": None, "message": f"{name}: no face found in portrait {sp.portrait!r}; "
                                                              f"pick another, or set 'no_face: still'"})
        else:
            pid, mirror = auto[name]
            entry["auto_portrait"] = pid + (" (mirrored)" if mirror else "")
        report["speakers"].append(entry)
    report.update(aspect=story.aspect, framing=story.framing, captions=story.captions, transition=story.transition,
                  layout=story.layout,
                  frame_size=_frame_size(story, gallery, auto))
    report["ok"] = not problems
    return report


def _frame_size(story: Story, gallery: Gallery, auto: dict[str, tuple[str, bool]]) -> list[int] | None:
    """The output video's (width, height) as the render will make it (deepstory.framing's rule)."""
    from deepstory.engines.base import even_size_within
    from deepstory.framing import story_frame_size
    sizes = []
    for name, sp in story.speakers.items():
        info = gallery.info(sp.portrait if sp.portrait else auto[name][0])
        if info is not None:
            sizes.append(even_size_within(info["width"], info["height"], story.max_side))
    return list(story_frame_size(story.aspect, sizes, story.max_side)) if sizes else None


def prepare_story(text: str, gallery: Gallery, *, name: str, animator: str | None = None) -> Story:
    """The Story to render, with each portrait id rewritten to the server's file; StoryError otherwise."""
    report = check_story(text, gallery, animator=animator)
    if report["problems"]:
        raise StoryError("; ".join(p["message"] for p in report["problems"]))
    story = _parse(text, name)
    for sp in story.speakers.values():
        if sp.portrait:
            path = gallery.path(sp.portrait)
            if path is None:     # removed between the check and now
                raise StoryError(f"{sp.name}: portrait {sp.portrait!r} is not in the gallery")
            sp.portrait = str(path.resolve())
    return story


# ------------------------------------------------------------------------------------- front matter
def set_cast(text: str, speakers: dict[str, dict[str, Any]] | None = None, animator: str | None = None) -> str:
    """The story text with the given speakers' settings (voice, portrait, rate, pitch, speed; None or ''
    removes one) and animator set, edited in the front matter text in place: comments, order and the
    script stay as the user wrote them (deepstory.speaker_settings)."""
    story = _parse(text, "story")
    low = {n.lower(): n for n in story.speakers}
    changes: dict[str, dict[str, Any]] = {}
    for name, change in (speakers or {}).items():
        key = low.get(str(name).lower())
        if key is None or not isinstance(change, dict):
            raise StoryError(f"no speaker named {name!r} in this story")
        changes[key] = _checked_change(key, change)
    new = set_speakers(text, changes, list(story.speakers)) if changes else text.replace("\r\n", "\n")
    if animator is not None:
        new = set_settings(new, {"animator": animator})
    _parse(new, "story")    # the edit must leave a story that still parses
    return new


_NUMBERS = {"rate": (int, 80, 450), "pitch": (int, 0, 99), "speed": ((int, float), 0.5, 2.0)}


def _checked_change(name: str, change: dict[str, Any]) -> dict[str, Any]:
    """A speaker change with each value checked; rate and speed replace each other (a story has one)."""
    out: dict[str, Any] = {}
    for field, value in change.items():
        if field in ("voice", "portrait"):
            if value not in (None, "") and (not isinstance(value, str) or len(value) > 200 or "\n" in value):
                raise StoryError(f"{name}: '{field}' must be text")
        elif field in _NUMBERS:
            kind, lo, hi = _NUMBERS[field]
            if value not in (None, "") and (isinstance(value, bool) or not isinstance(value, kind)
                                            or not lo <= value <= hi):
                raise StoryError(f"{name}: '{field}' must be a {'whole ' if kind is int else ''}number "
                                 f"from {lo} to {hi}")
        else:
            raise StoryError(f"{name}: cannot set {field!r}; settable: voice, portrait, rate, pitch, speed")
        out[field] = value
    if out.get("speed") not in (None, ""):
        out["rate"] = None
    elif out.get("rate") not in (None, ""):
        out["speed"] = None
    return out
