"""Text2Mel: text encoder, audio encoder, attention, audio decoder (the original layer stacks).

`forward` is the full-sequence pass the original runs; synthesis instead encodes the text once
(`encode_text`) and decodes frame by frame (`decode_step`), which the network's causality makes equivalent.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .attention import force_column, monotonic_scores
from .hparams import HParams
from .layers import Embedding, GatedConvBlock, NormConv, StreamCache, run_stream

# (kernel, dilation) of the gated blocks, in order.
_TEXT_BLOCKS = [(3, 1), (3, 3), (3, 9), (3, 27)] * 2 + [(3, 1), (3, 1), (1, 1), (1, 1)]
_AUDIO_ENC_BLOCKS = [(3, 1), (3, 3), (3, 9), (3, 27)] * 2 + [(3, 3), (3, 3)]
_AUDIO_DEC_BLOCKS = [(3, 1), (3, 3), (3, 9), (3, 27), (3, 1), (3, 1), (1, 1)]


class TextEnc(nn.Module):
    """ids (B, N) -> keys K and values V, each (B, d, N)."""

    def __init__(self, vocab_size: int, e: int, d: int):
        super().__init__()
        self.d = d
        self.embedding = Embedding(vocab_size, e)
        self.layers = nn.Sequential(
            NormConv(e, 2 * d, 1, relu=True),
            NormConv(2 * d, 2 * d, 1),
            *(GatedConvBlock(2 * d, k, dil) for k, dil in _TEXT_BLOCKS),
        )

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.layers(self.embedding(ids).transpose(1, 2))
        return out[:, :self.d], out[:, self.d:]


class AudioEnc(nn.Module):
    """mel frames (B, n_mels, T) -> queries Q (B, d, T); causal."""

    def __init__(self, d: int, n_mels: int):
        super().__init__()
        self.layers = nn.Sequential(
            NormConv(n_mels, d, 1, causal=True, relu=True),
            NormConv(d, d, 1, causal=True, relu=True),
            NormConv(d, d, 1, causal=True),
            *(GatedConvBlock(d, k, dil, causal=True) for k, dil in _AUDIO_ENC_BLOCKS),
        )

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.layers(mel)


class AudioDec(nn.Module):
    """[R; Q] (B, 2d, T) -> mel logits (B, n_mels, T); causal."""

    def __init__(self, d: int, n_mels: int):
        super().__init__()
        self.layers = nn.Sequential(
            NormConv(2 * d, d, 1, causal=True),
            *(GatedConvBlock(d, k, dil, causal=True) for k, dil in _AUDIO_DEC_BLOCKS),
            NormConv(d, d, 1, causal=True, relu=True),
            NormConv(d, n_mels, 1, causal=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class Text2Mel(nn.Module):
    def __init__(self, hp: HParams):
        super().__init__()
        self.sqrt_d = math.sqrt(hp.d)   # divided by, not multiplied by the inverse: same rounding as the original
        self.text_enc = TextEnc(len(hp.vocab), hp.e, hp.d)
        self.audio_enc = AudioEnc(hp.d, hp.n_mels)
        self.audio_dec = AudioDec(hp.d, hp.n_mels)

    def forward(self, ids: torch.Tensor, mel: torch.Tensor, monotonic_attention: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Full pass: (Y_logit, Y, A) with A (B, N, T) after the softmax over N."""
        K, V = self.text_enc(ids)
        Q = self.audio_enc(mel)
        scores = torch.bmm(K.transpose(1, 2), Q) / self.sqrt_d
        if monotonic_attention:
            scores = torch.stack([monotonic_scores(s)[0] for s in scores])
        A = F.softmax(scores, dim=1)
        y_logit = self.audio_dec(torch.cat((torch.bmm(V, A), Q), dim=1))
        return y_logit, torch.sigmoid(y_logit), A

    def encode_text(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """K, V for one sentence (B=1); computed once and reused by every decode step."""
        return self.text_enc(ids)

    def decode_step(self, K: torch.Tensor, V: torch.Tensor, frame: torch.Tensor, previous: int,
                    cache: StreamCache) -> tuple[torch.Tensor, torch.Tensor, bool]:
        """One output frame from the latest input frame (1, n_mels, 1), with monotonic attention.

        Returns the mel logit (1, n_mels, 1), the attention column (N,) after the softmax, and whether the
        monotonic rule rewrote it.
        """
        q = run_stream(self.audio_enc.layers, frame, cache)                  # (1, d, 1)
        scores = (K[0].transpose(0, 1) @ q[0, :, 0]) / self.sqrt_d          # (N,)
        scores, forced = force_column(scores, previous)
        a = F.softmax(scores, dim=0)
        r = (V[0] @ a).view(1, -1, 1)
        y_logit = run_stream(self.audio_dec.layers, torch.cat((r, q), dim=1), cache)
        return y_logit, a, forced
