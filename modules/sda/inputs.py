"""Turning user audio and images into the tensors the SDA networks take, as the original `__call__` does.

Audio (README quirks 1-4): integer samples are resampled as raw integers (scipy's FFT `resample`, output
length truncated) and divided by the dtype's max in float64, then cast to float32. Floating-point samples
(not accepted by the original) are taken as already normalised: 1.0 is full scale, i.e. what an integer
input becomes after that division; they are resampled the same way and not rescaled.
"""
from __future__ import annotations

import numpy as np
import torch

from ..errors import ModelInputError


def speech_from_audio(audio: np.ndarray, fs: int, audio_rate: int) -> np.ndarray:
    """Mono float32 speech at `audio_rate` from int16/int32 (or other signed int) or float samples.
    A (n, channels) array uses channel 0 only."""
    audio = np.asarray(audio)
    if audio.ndim == 2:
        audio = audio[:, 0]
    elif audio.ndim != 1:
        raise ModelInputError(f"audio must be (n,) or (n, channels), got shape {audio.shape}")
    if np.issubdtype(audio.dtype, np.signedinteger):
        scale = float(np.iinfo(audio.dtype).max)
    elif np.issubdtype(audio.dtype, np.floating):
        scale = 1.0
        audio = audio.astype(np.float64)      # resample in double precision, like integer input
    else:
        raise ModelInputError(f"audio of dtype {audio.dtype} is not supported: use signed integers "
                              f"(int16/int32) or floats in [-1, 1]")
    if fs is None or int(fs) <= 0:
        raise ModelInputError("audio given as an array needs its sample rate (fs)")
    if audio.shape[0] == 0:
        raise ModelInputError("audio is empty")
    if fs != audio_rate:
        from scipy import signal
        n_out = int(audio.shape[0] * audio_rate / float(fs))
        speech = signal.resample(audio, n_out) / scale
    else:
        speech = audio / scale
    return np.asarray(speech, dtype=np.float64).astype(np.float32)


def returned_audio(speech: np.ndarray) -> np.ndarray:
    """The audio the original returns: (n, 1) int16 = truncate(32768 * speech). Note 32768, not the 32767
    the input was divided by; a sample at exactly +1.0 wraps around, as in the original."""
    return (np.float32(2 ** 15) * speech.reshape(-1, 1)).astype(np.int16)


def rgb_uint8(frame: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 from an HxW, HxWx3 or HxWx4 uint8 image."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise ModelInputError(f"frame must be uint8 RGB, got dtype {frame.dtype}")
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise ModelInputError(f"frame must be HxWx3 RGB, got shape {frame.shape}")
    return np.ascontiguousarray(frame[:, :, :3])


def frame_tensor(frame: np.ndarray, img_size: tuple[int, int]) -> torch.Tensor:
    """(1, 3, H, W) float32 in [-1, 1]: PIL bilinear resize to img_size (only when needed; PIL returns
    an exact copy at the same size), /255, then (x - 0.5) / 0.5 like torchvision's Normalize."""
    frame = rgb_uint8(frame)
    h, w = img_size
    if frame.shape[:2] != (h, w):
        from PIL import Image
        frame = np.asarray(Image.fromarray(frame, "RGB").resize((w, h), Image.BILINEAR))
    x = torch.from_numpy(np.array(frame, copy=True)).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    return x.sub_(0.5).div_(0.5).unsqueeze(0)
