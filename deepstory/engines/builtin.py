"""The built-in, weights-free engines (the embedded default, `animator: builtin`).

`VisemeDriver` turns a clip's speech into per-frame mouth/blink/head parameters (from the voice's phoneme
timeline when there is one, else from the audio), with seeded blinks and head sway. `BuiltinAnimator`
renders them on a portrait with the landmark-anchored warp in `modules.facewarp`.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from modules.errors import NoFaceError
from modules.facewarp import CHANNELS, FaceWarpRenderer, blinks, sway, track_from_audio, track_from_phonemes
from modules.facewarp.audio_track import frame_features, speech_gate
from modules.facewarp.idle import gaze, phrase_ends
from modules.facewarp.motion import BLINK, GAZE_X, GAZE_Y, MOUTH, OPEN, PITCH, ROLL, YAW, check

from ..cache import image_digest
from ..native_stderr import quiet_native_stderr
from .base import Animator, ClipSpeech, Driver, SpeakerSession, even_size_within


def convolve_same(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """`np.convolve(x, kernel, mode="same")` that keeps len(x) even when x is shorter than the kernel
    (numpy then returns max(len(x), len(kernel)) values: a 1-frame clip would not fit its motion)."""
    full = np.convolve(x, kernel, mode="full")
    start = (len(kernel) - 1) // 2
    return full[start:start + len(x)]


BILABIALS = frozenset({"m", "b", "p"})


BILABIAL_SLACK_S = 0.04   # how far outside its recognised span a bilabial's true closure may lie


def _transcript_track(speech: ClipSpeech, audio: np.ndarray, n: int, fps: float) -> np.ndarray:
    """Mouth from a recording with recognised words: the opening follows the audio (word timings from a
    recogniser are too coarse to open and close the jaw syllable by syllable), the lip shapes (spread,
    rounding) follow the transcript's phonemes, and the lips meet on its m/b/p, which audio alone never
    does (it keeps them ~0.4 open there). The transcript says *that* a bilabial is there, the audio says
    *when*: the lips close on the quietest frame near it (a stop's closure is silent, a nasal is quieter)."""
    shapes = track_from_phonemes(speech.phonemes, n, fps)
    mouth = shapes.copy()
    mouth[:, 0] = track_from_audio(audio, speech.sample_rate, n, fps)[:, 0]
    rms, _ = frame_features(audio, speech.sample_rate, n, fps)
    for p in speech.phonemes:
        if p.symbol.strip("'ˈˌ,") in BILABIALS:
            lo = max(0, int((p.start - BILABIAL_SLACK_S) * fps))
            hi = min(n, int((p.end + BILABIAL_SLACK_S) * fps) + 1)
            if hi > lo:
                mouth[lo + int(np.argmin(rms[lo:hi])), 0] = 0.0
    return mouth


class VisemeDriver(Driver):
    name = "visemes"
    version = "1"
    motion_kind = "visemes"

    def __init__(self, *, blink_gap: tuple[float, float] = (2.0, 6.0), blink_s: float = 0.2,
                 sway_deg: tuple[float, float, float] = (2.0, 1.2, 1.0), nod_deg: float = 0.8):
        self.blink_gap, self.blink_s = tuple(blink_gap), float(blink_s)
        self.sway_deg, self.nod_deg = tuple(sway_deg), float(nod_deg)

    def cache_key(self) -> dict[str, Any]:
        return {"channels": list(CHANNELS), "blink_gap": list(self.blink_gap), "blink_s": self.blink_s,
                "sway_deg": list(self.sway_deg), "nod_deg": self.nod_deg, "phrase_ends": 1, "blink_shape": 2,
                "lip_shapes": 1, "gaze": 1, "stress_nods": 1}

    def drive(self, speech: ClipSpeech) -> np.ndarray:
        n, fps = speech.n_frames, float(speech.fps)
        audio = np.asarray(speech.audio, np.float32).reshape(-1)
        motion = np.zeros((n, len(CHANNELS)), np.float32)
        if speech.phonemes and speech.timeline == "transcript":
            mouth = _transcript_track(speech, audio, n, fps)
        elif speech.phonemes:
            mouth = track_from_phonemes(speech.phonemes, n, fps)
            if audio.size:
                # where the audio is silent the mouth is shut, whatever the timeline says (one frame of
                # slack either side so quiet onsets are not clipped)
                rms, _ = frame_features(audio, speech.sample_rate, n, fps)
                gate = speech_gate(rms)
                gate = convolve_same(gate.astype(float), np.ones(3)) > 0
                mouth[~gate, 0] = 0.0
        else:
            mouth = np.zeros((n, len(MOUTH)), np.float32)
            mouth[:, :3] = track_from_audio(audio, speech.sample_rate, n, fps)
        motion[:, list(MOUTH)] = mouth
        rng = np.random.default_rng(speech.seed)
        # phrase ends (the mouth shut for 0.3 s after speaking): a blink just after most, a small nod on each
        ends = phrase_ends(motion[:, OPEN] > 0.05, fps)
        extra = tuple((e + 2) / fps for e in ends if rng.random() < 0.7)
        motion[:, BLINK] = blinks(n, fps, rng, min_gap=self.blink_gap[0], max_gap=self.blink_gap[1],
                                  duration=self.blink_s, also_at=extra)
        motion[:, YAW:ROLL + 1] = sway(n, fps, rng, yaw_deg=self.sway_deg[0], pitch_deg=self.sway_deg[1],
                                     roll_deg=self.sway_deg[2])
        if n and self.nod_deg:
            # the head dips a little with the loudness of speech (slowly: a 0.5 s moving average)
            k = max(1, int(round(0.5 * fps)))
            emph = convolve_same(motion[:, OPEN], np.ones(k) / k)
            motion[:, PITCH] += self.nod_deg * emph
            t = np.arange(n)
            for e in ends:
                # a nod settling the phrase: down and back over ~0.5 s, peaking 0.15 s after its end
                motion[:, PITCH] += self.nod_deg * 1.5 * np.exp(-0.5 * ((t - e - 0.15 * fps) / (0.12 * fps)) ** 2)
            for when in stressed_times(speech.phonemes or ()):
                # a small beat of the head on each stressed syllable, just after its onset
                motion[:, PITCH] += self.nod_deg * 0.8 * np.exp(-0.5 * ((t / fps - when - 0.06) / 0.08) ** 2)
        # the eyes look around a little (their own seeded stream: the other motion stays as it was)
        motion[:, GAZE_X:GAZE_Y + 1] = gaze(n, fps, np.random.default_rng(speech.seed ^ 0x6A2E))
        return motion


STRESS_MARKS = ("'", "ˈ")       # primary stress in espeak mnemonics and in IPA


def stressed_times(phonemes) -> list[float]:
    """Onsets (s) of the stressed syllables of a phoneme timeline (phonemes carrying a primary-stress mark)."""
    return [p.start for p in phonemes if any(m in p.symbol for m in STRESS_MARKS)]


class _WarpSession(SpeakerSession):
    def __init__(self, renderer: FaceWarpRenderer):
        self._renderer = renderer

    @property
    def output_size(self) -> tuple[int, int]:
        h, w = self._renderer.portrait.shape[:2]
        return w, h

    def render(self, motion: np.ndarray, speech: ClipSpeech) -> Iterator[np.ndarray]:
        return self._renderer.render(check(motion, speech.n_frames), speech.n_frames)


class BuiltinAnimator(Animator):
    name = "builtin"
    version = "1"
    accepts = ("visemes",)
    default_driver = "visemes"

    def __init__(self, max_side: int = 1024, *, flow_res: int = 48, batch: int = 8, device: Any = None,
                 cpu_threads: int | None = None, on_no_face: str = "error", mouth: float = 1.0):
        if on_no_face not in ("error", "still"):
            raise ValueError("on_no_face must be 'error' or 'still'")
        from modules.checkpoint import pick_device
        self.max_side, self.flow_res, self.batch = int(max_side), int(flow_res), int(batch)
        self.cpu_threads = cpu_threads      # torch threads on CPU; None: all but one (see _threads)
        self.device = pick_device(device)
        self.on_no_face = on_no_face
        self.mouth = float(mouth)     # mouth movement intensity (BuiltinSettings.mouth)
        self._meshes: dict[str, np.ndarray | None] = {}   # landmarks per portrait, detected once

    def cache_key(self) -> dict[str, Any]:
        # batch size and thread count do not change the pixels; the device kind may (float rounding)
        key = {"max_side": self.max_side, "flow_res": self.flow_res, "device": self.device.type,
               "on_no_face": self.on_no_face, "look": 3}     # look 2: jaw, interior, grain (#12); 3: wider opening
        if self.mouth != 1.0:
            key["mouth"] = self.mouth
        return key

    def _landmarks(self, image: np.ndarray) -> np.ndarray | None:
        from modules.facewarp.locate import find_face
        key = image_digest(image)
        if key not in self._meshes:
            with quiet_native_stderr():        # MediaPipe/TFLite set-up chatter goes to fd 2
                self._meshes[key] = find_face(image)
        return self._meshes[key]

    def _frame(self, portrait: np.ndarray) -> np.ndarray:
        from .resize import resize_rgb
        h, w = portrait.shape[:2]
        return resize_rgb(np.ascontiguousarray(portrait), even_size_within(w, h, self.max_side))

    def has_face(self, portrait: np.ndarray) -> bool:
        return self._landmarks(self._frame(portrait)) is not None

    def speaker(self, portrait: np.ndarray, *, label: str = "portrait") -> SpeakerSession:
        frame = self._frame(portrait)
        mesh = self._landmarks(frame)
        if mesh is None:
            if self.on_no_face == "still":
                from .still import _StillSession
                return _StillSession(frame)
            raise NoFaceError(f"no face found in {label}: the built-in animator needs a clearly visible, "
                              "roughly frontal face (or render this speaker with animator: still)")
        return _WarpSession(FaceWarpRenderer(frame, mesh, flow_res=self.flow_res, batch=self.batch,
                                             device=self.device, cpu_threads=self._threads(),
                                             mouth=self.mouth))

    def _threads(self) -> int:
        """The renderer's torch threads on CPU: the clip encoders run beside it on threads of their own
        (deepstory/clip_encoder.py) and need about a core, so by default it leaves them one (on 2 cores a
        story renders faster with the renderer on 1 thread: 0.21 vs 0.25 x real time measured)."""
        if self.cpu_threads is not None:
            return self.cpu_threads
        import torch
        return max(1, torch.get_num_threads() - 1)
