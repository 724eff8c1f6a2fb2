"""Lip-syncing a portrait to an existing recording (`run_story.py animate`), with the story engines."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from modules.errors import NoFaceError

from .audio import STORY_RATE, read_audio
from .cache import sweep_stale_temp, temp_prefix
from .engines import make_animator, make_driver
from .engines.base import ClipSpeech
from .errors import OutputError, PortraitError
from .media import assemble, encode_clip
from .portraits import load_portrait

FPS = 25


def animate_recording(portrait_path: Path, audio_path: Path, out_path: Path, *, animator: str = "builtin",
                      max_side: int = 1024, seed: int = 0, progress: bool = True) -> Path:
    """Animate `portrait_path` speaking `audio_path` into `out_path` (H.264 + AAC MP4)."""
    if out_path.suffix.lower() != ".mp4":
        raise OutputError(f"output must be an .mp4 file, got {out_path}")
    portrait = load_portrait(portrait_path)
    audio = read_audio(audio_path, STORY_RATE)
    n_frames = max(1, -(-len(audio) * FPS // STORY_RATE))
    audio = np.pad(audio, (0, n_frames * STORY_RATE // FPS - len(audio)))
    speech = ClipSpeech(audio, STORY_RATE, None, n_frames, FPS, seed)
    anim = make_animator(animator, max_side=max_side)
    drv = make_driver(anim.default_driver)
    with drv:
        motion = drv.drive(speech)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {out_path.parent}: {exc.strerror}") from None
    sweep_stale_temp(out_path.parent)        # leftovers of an earlier run that was killed
    with anim:
        try:
            session = anim.speaker(portrait.image, label=portrait.label)
        except NoFaceError:
            raise PortraitError(f"no face found in {portrait_path}; use an image with a clearly visible face") from None
        with session, tempfile.TemporaryDirectory(dir=out_path.parent, prefix=temp_prefix(out_path.name),
                                                  suffix=".part") as tmp:
            frames = session.render(motion, speech)
            if progress:
                from tqdm import tqdm
                frames = tqdm(frames, total=n_frames, desc="animate", unit="frame")
            clip = Path(tmp) / "clip.mp4"
            encode_clip(frames, clip, FPS, session.output_size, expected=n_frames)
            assemble([clip], [audio], out_path, fps=FPS, sample_rate=STORY_RATE)
    return out_path
