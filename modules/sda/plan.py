"""Layer plans derived from a `.dat` file's meta values, with the original's integer/float arithmetic.

The published SDA models do not store their architecture: it is recomputed from `audio_rate`,
`audio_feat_len` and `img_size`. These helpers redo that computation with the same float expressions and
truncations (README quirks 7, 8, 10), so the modules get exactly the shapes the state dicts hold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def prime_factors(number: int) -> list[int]:
    """Prime factors in increasing order, with repetition (200 -> [2, 2, 2, 5, 5])."""
    factors: list[int] = []
    f = 2
    n = number
    while f * f <= n:
        if n % f:
            f += 1
        else:
            n //= f
            factors.append(int(f))
    if n > 1:
        factors.append(int(n))
    return factors


def same_padding_total(kernel: float, stride: float, in_size: float) -> int:
    """Total padding that makes a strided conv output ceil(in/stride) samples (may be odd)."""
    out = math.ceil(float(in_size) / float(stride))
    return int((out - 1) * stride + kernel - in_size)


def conv_out_len(in_size: float, kernel: float, stride: float, padding: float) -> int:
    return int((in_size + padding - kernel) / stride) + 1


@dataclass(frozen=True)
class Conv1dSpec:
    in_ch: int
    out_ch: int
    kernel: int
    stride: int
    padding: int      # per side, i.e. ceil(total / 2)


@dataclass(frozen=True)
class AudioPlan:
    convs: tuple[Conv1dSpec, ...]   # conv + BatchNorm + ReLU layers
    final_kernel: int               # last conv: kernel = remaining length, stride 1, no padding, Tanh
    final_in_ch: int
    window: int                     # samples per window: int(rate * feat_len)


def plan_audio_encoder(rate: int, feat_len: float, init_kernel: float = 0.005, init_stride: float = 0.001,
                       first_channels: int = 16) -> AudioPlan:
    """The per-window conv stack: a first conv of int(init_kernel*rate) taps and stride int(init_stride*rate),
    then strides = prime factors of that conv's output length (kernels 2x stride, channels doubling); the last
    factor is replaced by a conv spanning whatever length remains."""
    features = feat_len * rate                      # float on purpose: the original plans in floats
    k0, s0 = init_kernel * rate, init_stride * rate
    first_out = conv_out_len(features, k0, s0, same_padding_total(k0, s0, features))
    strides = [int(s0)] + prime_factors(first_out)
    kernels = [int(k0)] + [2 * s for s in strides[1:]]
    convs = []
    channels_in, channels = 1, first_channels
    for i in range(len(strides) - 1):
        total = same_padding_total(kernels[i], strides[i], features)
        features = conv_out_len(features, kernels[i], strides[i], total)
        out_ch = channels if i == 0 else 2 * channels
        convs.append(Conv1dSpec(channels_in, out_ch, kernels[i], strides[i], int(math.ceil(total / 2.0))))
        channels_in = channels = out_ch
    return AudioPlan(tuple(convs), int(features), channels_in, int(rate * feat_len))


def _is_power2(n: int) -> bool:
    return n != 0 and (n & (n - 1)) == 0


@dataclass(frozen=True)
class ImagePlan:
    channels: tuple[int, ...]       # identity-encoder block widths (64, 128, ...); also the skip widths
    final_size: tuple[int, int]     # identity encoder's last conv kernel
    init_size: tuple[int, int]      # generator's first transposed-conv kernel
    n_unet: int                     # generator UnetBlocks


def plan_image(img_size: tuple[int, int], first_channels: int = 64) -> ImagePlan:
    """Widths and kernels of the identity encoder and generator for an (H, W) image size."""
    h, w = int(img_size[0]), int(img_size[1])
    big = max(h, w)
    stable = big if _is_power2(big) else min(h, w)
    final_size = tuple(int(4 * x // stable) for x in (h, w))     # `//` here ...
    init_size = tuple(int(4 * x / big) for x in (h, w))          # ... but `/` in the generator (quirk 10)
    n_blocks = int(np.log2(big)) - 2
    channels = tuple(first_channels * 2 ** i for i in range(n_blocks))
    n_unet = int(np.log2(big)) - 1 - 2
    return ImagePlan(channels, final_size, init_size, n_unet)
