"""Lip-syncing a portrait to an existing recording (`run_story.py animate`), with the story engines."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from modules.errors import NoFaceError

from .audio import STORY_RATE, read_audio
from .cache import sweep_stale_temp, temp_prefix
from .engines import make_animator, make_driver, make_fom_engine
from .settings import FomSettings, SdaSettings
from .engines.base import ClipSpeech
from .errors import OutputError, PortraitError
from .media import assemble, encode_clip
from .portraits import load_portrait

FPS = 25


def _transcribe(audio: np.ndarray, transcript: Path | None, progress: bool) -> list | None:
    """Recognised (or given and aligned) words of the recording; None when no recogniser is installed."""
    from .recognizer import recognizer_available, shared_recognizer
    from .transcript import align_transcript
    if not recognizer_available():
        if transcript is not None:
            from .recognizer import INSTALL_HINT
            raise OutputError(f"--transcript needs the recogniser to time its words: {INSTALL_HINT}")
        if progress:
            print("no recogniser installed: the mouth follows the audio alone and no subtitles are written",
                  file=sys.stderr)
        return None
    heard = shared_recognizer().transcribe(audio, STORY_RATE)
    if transcript is None:
        return heard
    try:
        text = transcript.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OutputError(f"cannot read the transcript {transcript}: {exc}") from None
    return align_transcript(text, heard)


def animate_recording(portrait_path: Path, audio_path: Path, out_path: Path, *, animator: str = "builtin",
                      max_side: int = 1024, seed: int = 0, progress: bool = True, transcribe: bool = True,
                      transcript: Path | None = None, fom: FomSettings | None = None,
                      sda: SdaSettings | None = None, device: str | None = None,
                      batch_size: int | None = None) -> Path:
    """Animate `portrait_path` speaking `audio_path` into `out_path` (H.264 + AAC MP4). With the recogniser
    installed, the recording is transcribed: OUT.srt/OUT.vtt are written beside the video and the mouth
    follows the transcript's phonemes (gated by the audio) instead of the audio envelope alone."""
    if out_path.suffix.lower() != ".mp4":
        raise OutputError(f"output must be an .mp4 file, got {out_path}")
    portrait = load_portrait(portrait_path)
    audio = read_audio(audio_path, STORY_RATE)
    n_frames = max(1, -(-len(audio) * FPS // STORY_RATE))
    audio = np.pad(audio, (0, n_frames * STORY_RATE // FPS - len(audio)))
    words = _transcribe(audio, transcript, progress) if transcribe or transcript is not None else None
    phonemes = None
    if words:
        from .transcript import word_phonemes
        phonemes = word_phonemes(words)
    speech = ClipSpeech(audio, STORY_RATE, phonemes, n_frames, FPS, seed,
                        timeline="transcript" if phonemes else "exact")
    if animator == "fom":           # the SDA -> FOM chain: SDA makes a talking face, FOM moves the portrait like it
        anim = make_fom_engine(fom, max_side=max_side, device=device, batch_size=batch_size)
    else:
        anim = make_animator(animator, max_side=max_side)
    drv = make_driver(anim.default_driver, sda=sda)
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
    if words:
        from .cache import atomic_write_text
        from .subtitles import to_srt, to_vtt
        from .transcript import word_cues
        cues = word_cues(words)
        atomic_write_text(out_path.with_suffix(".srt"), to_srt(cues))
        atomic_write_text(out_path.with_suffix(".vtt"), to_vtt(cues))
    return out_path
