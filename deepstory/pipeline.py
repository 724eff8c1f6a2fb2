"""The story pipeline: voice → drive → animate → assemble, each stage cached by its inputs.

Per clip (one script line):
- voice: each phrase is synthesized, trimmed of leading/trailing silence and resampled to the story rate;
  the clip's audio is the phrases joined by punctuation pauses, led by the pause before a new line, and
  padded to a whole number of video frames (so every clip's frame count is exact and there is no drift);
- drive: the clip's speech becomes motion (viseme track, SDA face video, ...);
- animate: the speaker's portrait is moved by that motion into an H.264 clip in the cache;
- assemble: clip videos are stream-copied next to the story audio into the final MP4, with subtitles
  and a timeline.
Changing one line re-runs only that line's clip; changing a portrait re-runs only `animate` for that
speaker's clips (and the cheap assembly).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from modules.errors import ModelInputError, NoFaceError
from modules.phonemes import Phoneme

from . import audio as audio_mod
from . import framing
from .captions import hold_cues
from .cache import StageCache, atomic_write_text, digest_array, stage_key, sweep_stale_temp
from .engines import make_animator, make_driver
from .engines.base import Animator, ClipSpeech, Driver, even_size_within
from .engines.resize import letterbox
from .engines.still import StillAnimator
from .errors import DeepstoryError, EngineError, OutputError, PortraitError
from .media import assemble, encode_clip, encoder_id, read_frames, video_size
from .portraits import Portrait, default_portrait_for, load_portrait, resolve_path
from .progress import Reporter, check_cancel
from .story import Line, Story
from .subtitles import Cue, to_srt, to_timeline, to_vtt
from .text import LINE_PAUSE, PARAGRAPH_PAUSE
from .voices import Voice, default_voice_specs, resolve_voice

RATE = audio_mod.STORY_RATE
VOICE_STAGE_VERSION = "1"      # trimming/resampling of phrases
CLIP_VERSION = "1"             # how phrases and pauses become a clip's audio
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Cast:
    voices: dict[str, Voice]
    portraits: dict[str, Portrait]


@dataclass
class ClipPlan:
    index: int
    line: Line
    lead: float                                   # silence before the first phrase
    phrase_keys: list[tuple[str, float]]          # (voice cache key, pause after)
    n_frames: int = 0
    seed: int = 0
    sentence_spans: list[tuple[float, float]] = field(default_factory=list)
    audio_digest: str = ""
    drive_key: str = ""
    animate_key: str = ""

    @property
    def id(self) -> str:
        return f"clip{self.index + 1:04d}"


@dataclass
class RenderResult:
    video: Path
    srt: Path
    vtt: Path
    timeline: Path
    duration: float
    frames: int
    summary: list[str]
    stage_seconds: dict[str, float] = field(default_factory=dict)
    speech_check: list[dict] | None = None     # with check_speech: lines the recogniser heard differently


def default_cache_dir() -> Path:
    return REPO / "export" / ".cache"


# ----------------------------------------------------------------------------------------------- cast
def resolve_cast(story: Story, data_dir: Path | None = None) -> Cast:
    """Voices and portraits for every speaker; raises a clear error before any work starts."""
    data_dir = data_dir or REPO / "data"
    defaults = default_voice_specs({n: s.gender for n, s in story.speakers.items() if not s.voice})
    voices, portraits, taken = {}, {}, set()
    for name, sp in story.speakers.items():
        if sp.voice:
            voices[name] = resolve_voice(sp.voice, rate=sp.rate, pitch=sp.pitch, base_dir=story.base_dir,
                                         data_dir=data_dir)
        else:
            spec, rate, pitch = defaults[name]
            voices[name] = resolve_voice(spec, rate=sp.rate or rate, pitch=sp.pitch or pitch)
    for name, sp in story.speakers.items():
        if sp.portrait:
            portraits[name] = load_portrait(resolve_path(sp.portrait, story.base_dir), label=sp.portrait)
    for name, sp in story.speakers.items():
        if not sp.portrait:
            path, mirror = default_portrait_for(name, taken)
            portraits[name] = load_portrait(path, mirror=mirror, label=f"bundled {path.name}")
    return Cast(voices, portraits)


# ---------------------------------------------------------------------------------------------- voice
def _recognise_timelines(voice: Voice) -> bool:
    """Voices without phoneme timings (DCTTS) get them from the recogniser when it is installed."""
    if voice.has_timeline:
        return False
    from .recognizer import recognizer_available
    return recognizer_available()


def _voice_key(voice: Voice, text: str) -> str:
    inputs = {"v": VOICE_STAGE_VERSION, "kind": voice.kind, "engine": voice.version,
              "settings": voice.cache_key(), "text": text, "rate": RATE}
    if _recognise_timelines(voice):
        inputs["timeline"] = "recognised"
    return stage_key("voice", inputs)


def _synthesize_phrase(voice: Voice, text: str) -> dict[str, np.ndarray]:
    speech = voice.synthesize(text)
    a = np.asarray(speech.audio, np.float32).reshape(-1)
    start, end = audio_mod.trim_bounds(a, speech.sample_rate)
    trimmed = audio_mod.resample(a[start:end], speech.sample_rate, RATE)
    dur = len(trimmed) / RATE
    shift = start / speech.sample_rate
    phonemes = speech.phonemes
    if phonemes is None and _recognise_timelines(voice) and trimmed.size:
        # the script's words, timed by what the recogniser hears, spoken as espeak phonemes
        from .recognizer import shared_recognizer
        from .transcript import align_transcript, word_phonemes
        words = align_transcript(text, shared_recognizer().transcribe(trimmed, RATE))
        phonemes = tuple(p._replace(start=p.start + shift, end=p.end + shift) for p in word_phonemes(words)) \
            if words else None
    syms, times = [], []
    for p in phonemes or ():
        s, e = min(max(p.start - shift, 0.0), dur), min(max(p.end - shift, 0.0), dur)
        if e > s:
            syms.append(p.symbol)
            times.append((s, e))
    return {"audio": trimmed, "symbols": np.array(syms, dtype="<U16"),
            "times": np.array(times, np.float64).reshape(-1, 2),
            "has_phonemes": np.array(phonemes is not None)}


def run_voice_stage(story: Story, cast: Cast, cache: StageCache, reporter: Reporter,
                    cancel: Callable[[], bool] | None) -> list[ClipPlan]:
    plans = []
    for i, line in enumerate(story.lines):
        voice = cast.voices[line.speaker]
        lead = 0.0 if i == 0 else (PARAGRAPH_PAUSE if line.paragraph else LINE_PAUSE)
        keys = [(_voice_key(voice, ph.text), ph.pause) for s in line.sentences for ph in s.phrases]
        plans.append(ClipPlan(i, line, lead, keys))
    total = sum(len(p.phrase_keys) for p in plans)
    reporter.stage("voice", total)
    for speaker, voice in cast.voices.items():       # one loaded voice per speaker, freed after
        todo = [(k, ph.text) for p in plans if p.line.speaker == speaker
                for (k, _), ph in zip(p.phrase_keys, [ph for s in p.line.sentences for ph in s.phrases])]
        missing = [(k, t) for k, t in dict(todo).items() if not cache.has("voice", k, ".npz")]
        hits = len(todo) - len(missing)
        for _ in range(hits):
            reporter.step("voice", reused=True)
        if missing:
            with voice:
                for key, text in missing:
                    check_cancel(cancel)
                    cache.save_arrays("voice", key, **_synthesize_phrase(voice, text))
                    reporter.step("voice", reused=False, label=text[:40])
        # duplicates of a missing phrase within the story are reused
        for _ in range(len(todo) - hits - len(missing)):
            reporter.step("voice", reused=True)
    reporter.end_stage("voice")
    return plans


def _phrase(cache: StageCache, key: str) -> dict[str, np.ndarray]:
    data = cache.load_arrays("voice", key)
    if data is None:
        raise DeepstoryError(f"voice cache entry {key} vanished during the render; run again")
    return data


def clip_speech(plan: ClipPlan, cache: StageCache, fps: int) -> tuple[np.ndarray, tuple[Phoneme, ...] | None]:
    """The clip's audio (padded to whole frames) and phoneme timeline, rebuilt from cached phrases."""
    parts = [audio_mod.silence(plan.lead)]
    phonemes: list[Phoneme] = []
    any_timeline = True
    t = len(parts[0])
    for key, pause in plan.phrase_keys:
        ph = _phrase(cache, key)
        any_timeline &= bool(ph["has_phonemes"])
        off = t / RATE
        phonemes += [Phoneme(str(s), off + a, off + b) for s, (a, b) in zip(ph["symbols"], ph["times"])]
        pad = audio_mod.silence(pause)
        parts += [ph["audio"], pad]
        t += len(ph["audio"]) + len(pad)
    audio = np.concatenate(parts)
    n_frames = max(1, math.ceil(len(audio) * fps / RATE - 1e-9))
    total = int(round(n_frames * RATE / fps))
    audio = np.pad(audio, (0, total - len(audio)))
    return audio, (tuple(phonemes) if any_timeline else None)


def _sentence_spans(plan: ClipPlan, cache: StageCache) -> list[tuple[float, float]]:
    spans, t, k = [], plan.lead, 0
    for sentence in plan.line.sentences:
        start = None
        for _ in sentence.phrases:
            key, pause = plan.phrase_keys[k]
            dur = len(_phrase(cache, key)["audio"]) / RATE
            start = t if start is None else start
            end = t + dur
            t = end + pause
            k += 1
        spans.append((start, end))
    return spans


SPEECH_CHECK_WER = 0.34      # lines whose transcript is further from the script than this are listed


def _check_speech(plans: list[ClipPlan], cache: StageCache, story: Story, reporter: Reporter,
                  cancel: Callable[[], bool] | None) -> list[dict]:
    """Transcribe every line's speech; the lines the recogniser heard differently from the script."""
    from .recognizer import shared_recognizer, word_error_rate
    recognizer = shared_recognizer()
    reporter.stage("check", len(plans))
    problems = []
    for p in plans:
        check_cancel(cancel)
        audio, _ = clip_speech(p, cache, story.fps)
        heard = " ".join(w.text for w in recognizer.transcribe(audio, RATE))
        wer = word_error_rate(p.line.text, heard)
        if wer > SPEECH_CHECK_WER:
            problems.append({"line": p.line.number, "speaker": p.line.speaker, "text": p.line.text,
                             "heard": heard, "wer": round(wer, 3)})
            reporter.log(f"line {p.line.number} ({p.line.speaker}): the recogniser heard {heard!r}")
        reporter.step("check", reused=False, label=p.id)
    reporter.end_stage("check")
    return problems


def _clip_seed(story: Story, line: Line) -> int:
    h = hashlib.sha256(f"{story.seed}|{line.speaker}|{line.text}".encode()).digest()
    return int.from_bytes(h[:4], "little") & 0x7FFFFFFF


# --------------------------------------------------------------------------------------- drive/animate
def _engine_names(story: Story, animator_override: str | None) -> tuple[str, str]:
    animator = animator_override or story.animator
    driver = story.driver
    if driver is None:
        driver = {"builtin": "visemes", "fom": "sda", "still": "none"}[animator]
    return animator, driver


def _engine_error(exc: Exception) -> DeepstoryError:
    if isinstance(exc, DeepstoryError):
        return exc
    return EngineError(str(exc))


def _clip_size(story: Story, portrait: Portrait) -> tuple[int, int]:
    """The size an animator renders a portrait at (its own aspect, longest side at most max_side)."""
    return even_size_within(portrait.image.shape[1], portrait.image.shape[0], story.max_side)


def story_frame_size(story: Story, cast: Cast) -> tuple[int, int]:
    return framing.story_frame_size(story.aspect, [_clip_size(story, p) for p in cast.portraits.values()],
                                    story.max_side)


def frame_plans(story: Story, cast: Cast, size: tuple[int, int]) -> dict[str, framing.ClipFrame]:
    """How each speaker's clips fill the story frame (faces found once per portrait, at clip size)."""
    from modules.landmarks import detect, face_box
    from .engines.resize import resize_rgb
    clips = {}
    for name, portrait in cast.portraits.items():
        cs = _clip_size(story, portrait)
        box = None
        if story.framing == "fill":
            mesh = detect(np.ascontiguousarray(resize_rgb(portrait.image, cs)))
            box = face_box(mesh) if mesh is not None else None
        clips[name] = (cs, box)
    return framing.plan_frames(story.framing, size, clips)


def render_story(story: Story, out_dir: Path, *, cache_dir: Path | None = None, reporter: Reporter | None = None,
                 cancel: Callable[[], bool] | None = None, animator: str | None = None,
                 data_dir: Path | None = None, check_speech: bool = False) -> RenderResult:
    """Render `story` into `out_dir` (<name>.mp4/.srt/.vtt, timeline.json); reuses cached stages."""
    reporter = reporter or Reporter()
    out_dir = Path(out_dir)
    created = _prepare_output_dir(out_dir)
    try:
        return _render(story, out_dir, cache_dir=cache_dir, reporter=reporter, cancel=cancel, animator=animator,
                       data_dir=data_dir, check_speech=check_speech)
    except BaseException:
        if created:             # a failed run leaves no empty folder behind
            try:
                out_dir.rmdir()
            except OSError:
                pass
        raise


def _prepare_output_dir(out_dir: Path) -> bool:
    """Create (if needed) and probe the output folder; True when this run created it."""
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {out_dir}: {exc.strerror}") from None
    probe_file = out_dir / ".deepstory-write-test"
    try:
        probe_file.write_bytes(b"")
        probe_file.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write into {out_dir}: {exc.strerror}; choose another folder with -o") from None
    return created


def _render(story: Story, out_dir: Path, *, cache_dir: Path | None, reporter: Reporter,
            cancel: Callable[[], bool] | None, animator: str | None, data_dir: Path | None,
            check_speech: bool = False) -> RenderResult:
    import time
    cache = StageCache(cache_dir or default_cache_dir(), on_damage=reporter.log)
    try:
        cache.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot use {cache.root} as the cache folder: {exc.strerror}") from None
    # temp files of writers that died (kill -9) mid-clip or mid-assembly
    sweep_stale_temp(out_dir)
    sweep_stale_temp(cache.root, recursive=True)
    timings: dict[str, float] = {}

    animator_name, driver_name = _engine_names(story, animator)
    cast = resolve_cast(story, data_dir)
    try:
        anim = make_animator(animator_name, max_side=story.max_side, settings=story.fom, base_dir=story.base_dir)
        drv = make_driver(driver_name, settings=story.sda, base_dir=story.base_dir)
    except (ModelInputError, OSError) as exc:
        raise _engine_error(exc) from None
    if drv.motion_kind not in anim.accepts:
        raise EngineError(f"animator {animator_name!r} cannot use driver {driver_name!r}; "
                          f"it accepts: {', '.join(anim.accepts)}")

    if story.no_face == "error":           # refuse a face-less portrait before spending any work
        for speaker, portrait in cast.portraits.items():
            if not anim.has_face(portrait.image):
                raise _no_face(portrait, speaker)
    t0 = time.perf_counter()
    plans = run_voice_stage(story, cast, cache, reporter, cancel)
    timings["voice"] = time.perf_counter() - t0
    heard = _check_speech(plans, cache, story, reporter, cancel) if check_speech else None
    size = story_frame_size(story, cast)
    frames_of = frame_plans(story, cast, size)
    for plan in plans:
        audio, phonemes = clip_speech(plan, cache, story.fps)
        plan.n_frames = len(audio) * story.fps // RATE
        plan.seed = _clip_seed(story, plan.line)
        plan.sentence_spans = _sentence_spans(plan, cache)
        plan.audio_digest = digest_array(audio)
        ph_digest = hashlib.sha256(repr(phonemes).encode()).hexdigest()
        plan.drive_key = stage_key("drive", {"audio": plan.audio_digest, "phonemes": ph_digest,
                                             "frames": plan.n_frames, "fps": story.fps, "seed": plan.seed,
                                             "driver": drv.name, "version": drv.version,
                                             "settings": drv.cache_key()})
        portrait = cast.portraits[plan.line.speaker]
        plan.animate_key = stage_key("animate", {"motion": plan.drive_key, "portrait": portrait.digest,
                                                 "animator": anim.name, "version": anim.version,
                                                 "settings": anim.cache_key(), "fps": story.fps,
                                                 "encoder": encoder_id(),
                                                 "frames": plan.n_frames, "no_face": story.no_face})

    t0 = time.perf_counter()
    _run_drive_stage(plans, drv, cache, story, reporter, cancel)
    timings["drive"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _run_animate_stage(plans, anim, cast, cache, story, reporter, cancel)
    timings["animate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = _assemble_outputs(story, plans, cache, out_dir, frames_of, reporter, cancel)
    timings["assemble"] = time.perf_counter() - t0
    result.summary = reporter.summary()
    result.speech_check = heard
    if cache.damaged:
        result.summary.append(f"cache: {len(cache.damaged)} damaged entr{'y' if len(cache.damaged) == 1 else 'ies'} "
                              f"discarded and made again")
    result.stage_seconds = timings
    return result


def _run_drive_stage(plans: list[ClipPlan], drv: Driver, cache: StageCache, story: Story, reporter: Reporter,
                     cancel: Callable[[], bool] | None) -> None:
    reporter.stage("drive", len(plans))
    missing = [p for p in plans if not cache.has("drive", p.drive_key, ".npz")]
    for p in plans:
        if p not in missing:
            reporter.step("drive", reused=True)
    if missing:
        try:
            with drv:
                for p in missing:
                    check_cancel(cancel)
                    if cache.has("drive", p.drive_key, ".npz"):      # same speech twice in one story
                        reporter.step("drive", reused=True)
                        continue
                    audio, phonemes = clip_speech(p, cache, story.fps)
                    speech = ClipSpeech(audio, RATE, phonemes, p.n_frames, story.fps, p.seed)
                    motion = np.asarray(drv.drive(speech))
                    if motion.shape[0] != p.n_frames:
                        raise EngineError(f"driver {drv.name} made {motion.shape[0]} frames, expected {p.n_frames}")
                    cache.save_arrays("drive", p.drive_key, motion=motion)
                    reporter.step("drive", reused=False, label=p.id)
        except (ModelInputError, OSError) as exc:
            raise _engine_error(exc) from None
    reporter.end_stage("drive")


def _no_face(portrait: Portrait, speaker: str) -> PortraitError:
    return PortraitError(f"no face found in portrait {portrait.label} (speaker {speaker}); use an image with a "
                         f"clearly visible face, or set 'no_face: still' in the front matter to show it "
                         f"without motion")


def _speaker_session(anim: Animator, portrait: Portrait, speaker: str, story: Story):
    try:
        return anim.speaker(portrait.image, label=portrait.label)
    except NoFaceError:
        if story.no_face == "still":
            return StillAnimator(max_side=story.max_side).speaker(portrait.image, label=portrait.label)
        raise _no_face(portrait, speaker) from None


def _run_animate_stage(plans: list[ClipPlan], anim: Animator, cast: Cast, cache: StageCache, story: Story,
                       reporter: Reporter, cancel: Callable[[], bool] | None) -> None:
    """Clips at each speaker's own output size (not the story's), so a portrait swap that changes the
    story's frame size does not re-animate the other speakers: assembly letterboxes their clips."""
    reporter.stage("animate", len(plans))
    for p in plans:
        if cache.has("animate", p.animate_key, ".mp4"):
            reporter.step("animate", reused=True)
    missing = [p for p in plans if not cache.has("animate", p.animate_key, ".mp4")]
    if not missing:
        reporter.end_stage("animate")
        return
    try:
        with anim:
            for speaker in cast.portraits:                 # source-side work once per speaker
                mine = [p for p in missing if p.line.speaker == speaker]
                if not mine:
                    continue
                with _speaker_session(anim, cast.portraits[speaker], speaker, story) as session:
                    for p in mine:
                        check_cancel(cancel)
                        if cache.has("animate", p.animate_key, ".mp4"):
                            reporter.step("animate", reused=True)
                            continue
                        motion = cache.load_arrays("drive", p.drive_key)["motion"]
                        audio, phonemes = clip_speech(p, cache, story.fps)
                        speech = ClipSpeech(audio, RATE, phonemes, p.n_frames, story.fps, p.seed)
                        frames = _cancellable(session.render(motion, speech), cancel)
                        cache.write("animate", p.animate_key, ".mp4",
                                    lambda tmp: encode_clip(frames, tmp, story.fps, session.output_size,
                                                            expected=p.n_frames))
                        reporter.step("animate", reused=False, label=p.id)
    except (ModelInputError, OSError) as exc:
        raise _engine_error(exc) from None
    reporter.end_stage("animate")


def _cancellable(frames: Iterator[np.ndarray], cancel: Callable[[], bool] | None) -> Iterator[np.ndarray]:
    for i, f in enumerate(frames):
        if i % 25 == 0:
            check_cancel(cancel)
        yield f


def _story_sized_clip(p: ClipPlan, cache: StageCache, story: Story, frame: framing.ClipFrame,
                      cancel: Callable[[], bool] | None, burn: list[tuple[float, float, str]] | None = None) -> Path:
    """The clip framed for the story (aspect + framing): the animated clip itself when it already is the
    story's frame, else a cached framed copy (re-made when only the framing changes; never re-animated)."""
    clip = cache.path("animate", p.animate_key, ".mp4")
    if frame.mode == "fit" and video_size(clip) == frame.size and not burn:
        return clip
    inputs = {"animate": p.animate_key, "frame": frame.key(), "version": "2", "encoder": encoder_id()}
    if burn:
        inputs["captions"] = [[round(a, 4), round(b, 4), t] for a, b, t in burn]
    key = stage_key("fit", inputs)
    fitted = cache.path("fit", key, ".mp4")
    if not cache.has("fit", key, ".mp4"):
        frames = (frame.apply(f) for f in _cancellable(read_frames(clip), cancel))
        if burn:
            from .captions import CaptionPainter, caption_at
            painter = CaptionPainter(frame.size)
            frames = (painter.paint(f, caption_at(burn, (i + 0.5) / story.fps)) for i, f in enumerate(frames))
        cache.write("fit", key, ".mp4", lambda tmp: encode_clip(frames, tmp, story.fps, frame.size,
                                                                 expected=p.n_frames))
    return fitted


# ------------------------------------------------------------------------------------------- assemble
def _assemble_outputs(story: Story, plans: list[ClipPlan], cache: StageCache, out_dir: Path,
                      frames_of: dict[str, framing.ClipFrame], reporter: Reporter, cancel: Callable[[], bool] | None) -> RenderResult:
    reporter.stage("assemble", 1)
    check_cancel(cancel)
    cues, clips, frames = [], [], 0
    for p in plans:
        start = frames / story.fps
        for sentence, (a, b) in zip(p.line.sentences, p.sentence_spans):
            cues.append(Cue(start + a, start + b, p.line.speaker, sentence.text, p.id, p.line.number))
        frames += p.n_frames
        clips.append({"id": p.id, "speaker": p.line.speaker, "line": p.line.number, "start": round(start, 4),
                      "end": round(frames / story.fps, 4), "frames": p.n_frames})
    duration = frames / story.fps
    cues = hold_cues(cues, duration)
    video = out_dir / f"{story.name}.mp4"
    starts = {c["id"]: c["start"] for c in clips}

    def burned(p: ClipPlan) -> list[tuple[float, float, str]] | None:
        """The captions inside this clip, in its own time (clip-local seconds)."""
        if story.captions != "burn":
            return None
        t0, t1 = starts[p.id], starts[p.id] + p.n_frames / story.fps
        return [(max(c.start, t0) - t0, min(c.end, t1) - t0, c.text) for c in cues if c.end > t0 and c.start < t1]
    assemble([_story_sized_clip(p, cache, story, frames_of[p.line.speaker], cancel, burned(p)) for p in plans],
             (clip_speech(p, cache, story.fps)[0] for p in plans), video, fps=story.fps, sample_rate=RATE)
    srt = atomic_write_text(out_dir / f"{story.name}.srt", to_srt(cues))
    vtt = atomic_write_text(out_dir / f"{story.name}.vtt", to_vtt(cues))
    timeline = atomic_write_text(out_dir / "timeline.json",
                                 to_timeline(story.title, story.fps, RATE, duration, clips, cues))
    reporter.step("assemble", reused=False)
    reporter.end_stage("assemble")
    return RenderResult(video, srt, vtt, timeline, duration, frames, [])
