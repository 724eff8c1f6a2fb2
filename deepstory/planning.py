"""Planning a render: which engines, and one `ClipTask` per script line with every cache key decided."""
from __future__ import annotations

import hashlib

from .cache import StageCache, stage_key
from .cast import Cast
from .engines import default_driver
from .engines.base import Animator, Driver
from .errors import EngineError
from .media import encoder_id
from .story import Story
from .tasks import ClipTask, Engines, clip_seed
from .voice_stage import PhraseKeys, build_speech, load_speech


def choose_engines(story: Story, animator_override: str | None = None) -> Engines:
    animator = animator_override or story.animator
    driver = story.driver or default_driver(animator)
    return Engines(animator, driver, story.max_side, story.no_face, story.fom, story.sda, story.builtin,
                   story.base_dir)


def check_engines(engines: Engines, drv: Driver, anim: Animator) -> None:
    if drv.motion_kind not in anim.accepts:
        raise EngineError(f"animator {engines.animator!r} cannot use driver {engines.driver!r}; "
                          f"it accepts: {', '.join(anim.accepts)}")


def plan_clips(story: Story, cast: Cast, phrases: list[PhraseKeys], cache: StageCache, drv: Driver,
               anim: Animator) -> list[ClipTask]:
    """One task per line: its speech is built (and cached) here, so its frame count is known; the drive
    key hashes the speech and the driver, the animate key the motion, the portrait and the animator."""
    drive_settings = {"driver": drv.name, "version": drv.version, "settings": drv.cache_key()}
    anim_settings = {"animator": anim.name, "version": anim.version, "settings": anim.cache_key(),
                     "encoder": encoder_id(), "no_face": story.no_face}
    tasks = []
    for i, (line, keys) in enumerate(zip(story.lines, phrases)):
        speech_key = build_speech(cache, line, i, keys, story.fps)
        speech = load_speech(cache, speech_key)
        n_frames = int(speech["n_frames"])
        seed = clip_seed(story.seed, line.speaker, line.text)
        timeline = hashlib.sha256(repr((speech["symbols"].tolist(), speech["times"].tolist(),
                                        bool(speech["has_phonemes"]))).encode()).hexdigest()
        drive_key = stage_key("drive", {"speech": speech_key, "timeline": timeline, "frames": n_frames,
                                        "fps": story.fps, "seed": seed, **drive_settings})
        portrait = cast.portraits[line.speaker].digest
        animate_key = stage_key("animate", {"motion": drive_key, "portrait": portrait, "fps": story.fps,
                                            "frames": n_frames, **anim_settings})
        spans = tuple((float(a), float(b)) for a, b in speech["sentence_spans"])
        tasks.append(ClipTask(i, line.speaker, line.number, tuple(s.text for s in line.sentences), spans,
                              speech_key, n_frames, story.fps, seed, portrait, drive_key, animate_key))
    return tasks
