"""`driver: sda` — speech to a talking-face clip with Speech-Driven Animation (the original Deepstory chain).

Each clip's audio is resampled (soxr, high quality) to the model's `audio_rate` and animated from one fixed
base face, aligned once to the model's `mean_face`. The result is the model's own (H, W) = img_size frames
(128x96, i.e. 128 high and 96 wide, for GRID) as uint8 RGB at the story fps; the FOM animator consumes them
as driving video.

Frame count: SDA makes `len(speech) // int(audio_rate / video_rate)` frames at `video_rate` (the trailing
part of a frame is dropped). They are retimed to the story fps by nearest earlier frame (identity when the
rates match) and then padded by repeating the last frame, or trimmed, to exactly `speech.n_frames`
(normally a difference of 0 or 1 frame).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from modules.errors import CheckpointError, NoFaceError

from ..cache import file_identity, image_digest
from ..errors import EngineError, PortraitError
from ..settings import PATHS
from .base import ClipSpeech, Driver

DEFAULT_BASE_IMAGE = PATHS.data / "sda" / "astronaut-face.png"
DEFAULT_CHECKPOINT = PATHS.checkpoints / "grid.dat"
WHERE_TO_GET = ("download grid.dat from the Speech-Driven Animation project "
                "(https://github.com/DinoMan/speech-driven-animation, see its README: pre-trained models, "
                "file sda/data/grid.dat in Git LFS) and put it there, or set sda.checkpoint in the story")

def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """HxWx3 uint8 RGB pixels of an image file."""
    from PIL import Image, ImageOps
    try:
        with Image.open(path) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    except (OSError, ValueError) as exc:
        raise PortraitError(f"cannot read SDA base image {path}: {exc}") from None


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """(samples, rate) of an audio file, integer PCM kept as integers (what modules.sda expects)."""
    import soundfile as sf
    info = sf.info(str(path))
    dtype = {"PCM_16": "int16", "PCM_24": "int32", "PCM_32": "int32"}.get(info.subtype, "float32")
    data, rate = sf.read(str(path), dtype=dtype, always_2d=False)
    return data, int(rate)


def load_like_original(image_path: str | os.PathLike, audio_path: str | os.PathLike
                       ) -> tuple[np.ndarray, np.ndarray, int]:
    """(frame, audio, fs) from files, as the original `__call__` reads paths: the image shrunk to fit
    400x400 (PIL thumbnail), integer PCM kept as integers. Then `SdaModel(...)(frame, audio, fs)`."""
    from PIL import Image
    with Image.open(image_path) as im:
        im = im.convert("RGB")
        im.thumbnail((400, 400))
        frame = np.asarray(im)
    audio, fs = read_audio(audio_path)
    return frame, audio, fs


def to_uint8_hwc(video: np.ndarray) -> np.ndarray:
    """(T, 3, H, W) float 0..250 -> (T, H, W, 3) uint8, rounded."""
    return np.clip(np.rint(video), 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)


def fit_frame_count(frames: np.ndarray, src_fps: float, fps: float, n_frames: int) -> np.ndarray:
    """`n_frames` frames at `fps` from frames at `src_fps`: nearest earlier frame, last one repeated."""
    if len(frames) == 0:
        raise ValueError("no frames to retime")
    if abs(src_fps - fps) < 1e-9:
        idx = np.arange(n_frames)
    else:
        idx = np.floor(np.arange(n_frames) * (src_fps / fps) + 1e-9).astype(np.int64)
    return frames[np.minimum(idx, len(frames) - 1)]


class SdaDriver(Driver):
    name = "sda"
    motion_kind = "sda"
    version = "1"

    def __init__(self, checkpoint: str | os.PathLike = DEFAULT_CHECKPOINT,
                 base_image: str | os.PathLike | np.ndarray | None = None, device: Any = None,
                 chunk_frames: int = 64, fast: bool = False):
        self.checkpoint = Path(checkpoint)
        if not self.checkpoint.is_file():
            raise EngineError(f"SDA model file not found: {self.checkpoint} (expected grid.dat, or timit.dat / "
                              f"crema.dat): {WHERE_TO_GET}")
        if base_image is None:
            self._base_label, self._base = str(DEFAULT_BASE_IMAGE.relative_to(PATHS.repo)), None
        elif isinstance(base_image, np.ndarray):
            self._base_label, self._base = "base image array", np.ascontiguousarray(base_image)
        else:
            self._base_label, self._base = str(base_image), None
            if not Path(base_image).is_file():
                raise PortraitError(f"SDA base image not found: {base_image}")
        self._base_path = DEFAULT_BASE_IMAGE if base_image is None else (
            None if isinstance(base_image, np.ndarray) else Path(base_image))
        self.device = device
        self.chunk_frames = chunk_frames
        self.fast = bool(fast)          # opt-in: ~1/3 less work, float32-rounding-level differences
        self._animator = None
        self._aligned: np.ndarray | None = None
        self._base_digest: str | None = None

    def _base_pixels(self) -> np.ndarray:
        if self._base is None:
            self._base = read_rgb(self._base_path)
        return self._base

    def cache_key(self) -> dict[str, Any]:
        if self._base_digest is None:                  # the pipeline asks once per clip
            base = self._base_pixels()
            self._base_digest = image_digest(np.ascontiguousarray(base))
        return {
            "checkpoint_sha256": file_identity(self.checkpoint),
            "base_image_sha256": self._base_digest,
            "alignment": "mediapipe-5pt-similarity",
            "resampler": "soxr-HQ",
            "noise": "N(0,0.33) seeded by clip seed",
            "to_uint8": "rint-clip",
            "fast": self.fast,
        }

    def __enter__(self) -> "SdaDriver":
        from modules.sda import SdaModel
        try:
            self._animator = SdaModel(self.checkpoint, device=self.device, chunk_frames=self.chunk_frames,
                                           fast=self.fast)
        except CheckpointError as exc:
            raise EngineError(f"{exc}. If the file is damaged, {WHERE_TO_GET.replace('put it there', 'replace it')}"
                              ) from None
        try:
            self._aligned = self._animator.align(self._base_pixels(), label=f"SDA base image {self._base_label}")
        except NoFaceError as exc:
            raise PortraitError(str(exc)) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._animator = None
        self._aligned = None

    @property
    def aligned_base(self) -> np.ndarray | None:
        """The base face as the model sees it (img_size, uint8), once entered."""
        return self._aligned

    def drive(self, speech: ClipSpeech) -> np.ndarray:
        """(n_frames, H, W, 3) uint8 face frames (H, W = the model's img_size) at `speech.fps`."""
        import soxr
        import torch
        va = self._animator
        if va is None:
            raise RuntimeError("use SdaDriver inside a `with` block")
        rate = va.meta.audio_rate
        audio = np.asarray(speech.audio, np.float32).reshape(-1)
        if speech.sample_rate != rate:
            audio = soxr.resample(audio, speech.sample_rate, rate, quality="HQ").astype(np.float32)
        if audio.shape[0] < va.cutting_stride:       # the model needs one frame's worth of samples
            audio = np.pad(audio, (0, va.cutting_stride - audio.shape[0]))
        speech_f32 = va.speech(audio, rate)
        h, w = va.meta.img_size
        model_frames = np.empty((va.n_frames(speech_f32.shape[0]), h, w, 3), np.uint8)
        z = va.encode_speech(speech_f32)
        noise = va.make_noise(int(speech.seed) & 0x7FFFFFFFFFFFFFFF, z.shape[1])
        with torch.no_grad():
            z_id, skips = va.encode_identity(self._aligned)
            for start, chunk in va.iter_frames(z, noise, z_id, skips):
                model_frames[start:start + len(chunk)] = to_uint8_hwc(chunk)
        return fit_frame_count(model_frames, va.meta.video_rate, speech.fps, speech.n_frames)
