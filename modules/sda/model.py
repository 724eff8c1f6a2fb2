"""`SdaModel`: a published SDA model file in, a talking-face video out (the original package's API).

Computes what the original `sda.SdaModel.__call__` computes (README of the fixtures: 16 quirks), with
three changes that do not alter results: windows are one strided view, identity skips are broadcast (not
stacked per frame), and the per-frame networks run in chunks of `chunk_frames` into a preallocated output,
so memory beyond the returned arrays stays flat in clip length. `fast=True` (opt-in) also computes the
identity skips' share of each U-Net block's first conv once per clip instead of per frame: about a third
less work, equal to the exact path up to float32 rounding (within the fixture tolerances).
"""
from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

import numpy as np
import torch

from ..checkpoint import load_state_strict, pick_device
from ..errors import ModelInputError
from .align import align_to_mean_face
from .audio_encoder import SpeechEncoder
from .checkpoint import WHAT, SdaMeta, read_sda_file
from .generator import FrameGenerator
from .identity_encoder import IdentityEncoder
from .inputs import frame_tensor, returned_audio, rgb_uint8, speech_from_audio
from .plan import plan_audio_encoder, plan_image
from .windows import cut_windows, frame_count

NOISE_STD = 0.33


def exact_float32(device: torch.device) -> contextlib.AbstractContextManager:
    """No TF32 in cuDNN convolutions on CUDA (PyTorch's default allows it): the published models were made
    and the fixtures checked in true float32. A no-op on CPU."""
    if device.type == "cuda":
        return torch.backends.cudnn.flags(enabled=True, allow_tf32=False)
    return contextlib.nullcontext()


class SdaNetworks(torch.nn.Module):
    """The three networks of one SDA model, built from its meta values (random weights until loaded)."""

    def __init__(self, meta: SdaMeta):
        super().__init__()
        audio_plan = plan_audio_encoder(meta.audio_rate, meta.audio_feat_len)
        image_plan = plan_image(meta.img_size)
        self.encoder = SpeechEncoder(audio_plan, meta.aud_enc_dim, meta.rnn_gen_dim)
        self.encoder_id = IdentityEncoder(image_plan, meta.id_enc_dim)
        self.generator = FrameGenerator(image_plan, meta.img_size, meta.rnn_gen_dim, meta.id_enc_dim,
                                        meta.aux_latent, meta.sequential_noise)


def draw_noise(n_frames: int, aux: int, seed: int | None = None) -> torch.Tensor:
    """(1, T, aux) N(0, 0.33) noise on the CPU generator; `seed=None` uses torch's global RNG (as the original,
    so `torch.manual_seed(s)` before a call reproduces it), else a private generator seeded with `seed`."""
    gen = None if seed is None else torch.Generator().manual_seed(int(seed))
    return torch.empty(1, n_frames, aux).normal_(0, NOISE_STD, generator=gen)


class SdaModel:
    """Load an SDA `.dat` (grid/timit/crema) and animate a face still with speech.

    `animator(frame, audio, fs=None, aligned=False, noise=None) -> (video, audio_out)`:
    - frame: HxWx3 uint8 RGB array (a face photo; with `aligned=True`, already aligned to the model's frame);
    - audio: (n,) or (n, channels) array, int16/int32 (divided by the dtype max) or float (1.0 = full scale);
      fs: its sample rate (required); channel 0 is used;
    - noise: None (torch's global RNG, like the original), an int seed, or a (1, T, aux) / (T, aux) array;
    - video: float32 (T, 3, H, W) in 0..250 (T = 1 gives (3, H, W), as the original's squeeze);
      audio_out: int16 (n', 1) speech at `audio_rate`.
    Arrays only: read image/audio files outside the model (see deepstory.engines.sda).
    `chunk_frames` frames go through the per-frame networks at a time; `fast=True`: see the module docstring.
    """

    def __init__(self, model_path: str | os.PathLike, device: Any = None, chunk_frames: int = 64,
                 fast: bool = False):
        self.model_path = os.fspath(model_path)
        self.fast = bool(fast)
        meta, states = read_sda_file(self.model_path)
        self._setup(meta, states, device, chunk_frames, f"{WHAT} {self.model_path}")

    @classmethod
    def from_state(cls, meta: SdaMeta, states: dict[str, dict], device: Any = None,
                   chunk_frames: int = 64, fast: bool = False) -> "SdaModel":
        """An animator from meta values and the three state dicts already in memory (no file)."""
        self = cls.__new__(cls)
        self.model_path = "<in memory>"
        self.fast = bool(fast)
        self._setup(meta, states, device, chunk_frames, "SDA state")
        return self

    def _setup(self, meta: SdaMeta, states: dict[str, dict], device: Any, chunk_frames: int, what: str) -> None:
        self.device = pick_device(device)
        self.chunk_frames = int(chunk_frames)
        self.meta = meta
        for key, value in meta.__dict__.items():       # the original exposes every meta value as an attribute
            setattr(self, key, value)
        self.nets = SdaNetworks(meta)
        for name in ("encoder", "encoder_id", "generator"):
            load_state_strict(getattr(self.nets, name), states[name], what=f"{what} [{name}]")
        self.nets.to(self.device).eval()

    # -- pieces, exposed so callers (and tests) can check intermediates -------------------------------
    @property
    def cutting_stride(self) -> int:
        return int(self.meta.audio_rate / float(self.meta.video_rate))

    def speech(self, audio: np.ndarray, fs: int) -> np.ndarray:
        return speech_from_audio(audio, fs, self.meta.audio_rate)

    def align(self, frame: np.ndarray, landmarks: np.ndarray | None = None, *, label: str = "image") -> np.ndarray:
        """The face in `frame` aligned to mean_face at img_size (uint8 HxWx3)."""
        return align_to_mean_face(rgb_uint8(frame), self.meta.mean_face, self.meta.img_size, landmarks, label=label)

    def n_frames(self, n_speech_samples: int) -> int:
        return frame_count(n_speech_samples, self.meta.audio_feat_samples, self.cutting_stride)

    def make_noise(self, noise: Any, n_frames: int) -> torch.Tensor:
        """(1, T, aux) noise on the CPU from None (global RNG), an int seed, or a (1, T, aux)/(T, aux) array."""
        aux = self.meta.aux_latent
        if noise is None or isinstance(noise, (int, np.integer)):
            return draw_noise(n_frames, aux, None if noise is None else int(noise))
        t = torch.as_tensor(np.asarray(noise, np.float32)).reshape(-1, aux) if not isinstance(noise, torch.Tensor) \
            else noise.detach().to("cpu", torch.float32).reshape(-1, aux)
        if t.shape[0] != n_frames:
            raise ModelInputError(f"noise has {t.shape[0]} frames, the audio gives {n_frames}")
        return t.unsqueeze(0)

    @torch.no_grad()
    def encode_identity(self, frame: np.ndarray) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(z_id (1, id_dim), skips shallowest first (1, C, h, w)) of an aligned frame."""
        with exact_float32(self.device):
            return self.nets.encoder_id(frame_tensor(frame, self.meta.img_size).to(self.device))

    @torch.no_grad()
    def encode_speech(self, speech: np.ndarray) -> torch.Tensor:
        """(1, T, rnn_gen_dim) motion codes of float32 speech at audio_rate."""
        windows = cut_windows(torch.from_numpy(np.ascontiguousarray(speech).reshape(-1)),
                              self.meta.audio_feat_samples, self.cutting_stride)
        codes = []
        with exact_float32(self.device):
            for start in range(0, windows.shape[0], self.chunk_frames):
                part = windows[start:start + self.chunk_frames].to(self.device)
                codes.append(self.nets.encoder.encode_windows(part, chunk=self.chunk_frames))
            return self.nets.encoder.rnn(torch.cat(codes, 0).unsqueeze(0))[0]

    @torch.no_grad()
    def iter_frames(self, z: torch.Tensor, noise: torch.Tensor, z_id: torch.Tensor,
                    skips: list[torch.Tensor]) -> Iterator[tuple[int, np.ndarray]]:
        """(start, frames) chunks of float32 (n, 3, H, W) frames in 0..250 from codes (1, T, *): only one
        chunk's activations exist at a time."""
        gen = self.nets.generator
        deep_first = skips[::-1]
        with exact_float32(self.device):
            aux = gen.noise_sequence(noise.to(self.device))
            terms = gen.skip_terms(deep_first) if self.fast else None
        n = z.shape[1]
        for start in range(0, n, self.chunk_frames):
            stop = min(n, start + self.chunk_frames)
            latent = torch.cat([z[0, start:stop], aux[0, start:stop], z_id.expand(stop - start, -1)], 1)
            with exact_float32(self.device):
                frames = gen.frames(latent, deep_first, terms)
            yield start, (125 * frames + 125).cpu().numpy()

    def generate(self, z: torch.Tensor, noise: torch.Tensor, z_id: torch.Tensor,
                 skips: list[torch.Tensor]) -> np.ndarray:
        """All frames (T, 3, H, W) float32 in 0..250, written chunk by chunk into one preallocated array."""
        h, w = self.meta.img_size
        out = np.empty((z.shape[1], 3, h, w), np.float32)
        for start, frames in self.iter_frames(z, noise, z_id, skips):
            out[start:start + frames.shape[0]] = frames
        return out

    def __call__(self, frame: np.ndarray, audio: np.ndarray, fs: int | None = None, aligned: bool = False,
                 noise: Any = None) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(frame, (str, os.PathLike)) or isinstance(audio, (str, os.PathLike)):
            raise ModelInputError("modules.sda takes arrays; read files with deepstory.engines.sda helpers")
        if fs is None:
            raise ModelInputError("Audio provided without specifying the rate: pass fs")
        frame = rgb_uint8(frame)
        if not aligned:
            frame = self.align(frame)
        speech = self.speech(audio, fs)
        n = self.n_frames(speech.shape[0])
        if n < 1:
            raise ModelInputError(f"audio too short: {speech.shape[0]} samples at {self.meta.audio_rate} Hz, "
                                  f"one frame needs {self.cutting_stride}")
        z = self.encode_speech(speech)                 # the original draws the noise after the audio encoder
        noise_t = self.make_noise(noise, n)
        z_id, skips = self.encode_identity(frame)
        video = self.generate(z, noise_t, z_id, skips)
        if n == 1:
            video = video[0]                           # the original's squeeze drops T when T == 1
        return video, returned_audio(speech)
