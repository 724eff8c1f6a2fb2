"""The original synthesis loop, computed incrementally.

The original re-runs the whole Text2Mel on the growing mel every step. Here the text encoder runs once per
sentence and each step pushes only the newest frame through the causal audio encoder/decoder (their
per-layer input histories are cached); because the network is causal, the frames are the same up to float
rounding. The stopping rule is unchanged: after each step, stop if the new frame's attention peaks on the
EOS token, or after `cap` steps.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .layers import StreamCache
from .ssrn import SSRN
from .text2mel import Text2Mel


@dataclass
class MelResult:
    mel: torch.Tensor             # (1, n_mels, steps+1): the leading zero frame, then every generated frame
    mel_logit: torch.Tensor       # (1, n_mels, steps)
    attention: torch.Tensor       # (1, N, steps), after the monotonic rule and the softmax
    attention_argmax: list[int]   # per step: the position the stopping rule tested
    attention_forced: list[bool]  # per step: whether the monotonic rule rewrote the column (empty: not tracked)
    steps: int
    stopped_on_eos: bool


@torch.inference_mode()
def generate_mel(text2mel: Text2Mel, ids: torch.Tensor, cap: int, eos_id: int = 1) -> MelResult:
    """Run the loop for one sentence `ids` (1, N)."""
    K, V = text2mel.encode_text(ids)
    n_mels = text2mel.audio_dec.layers[-1].conv.out_channels
    frame = K.new_zeros(1, n_mels, 1)
    cache: StreamCache = {}
    frames, logits, columns, argmaxes, forced_flags = [frame], [], [], [], []
    previous, stopped = -1, False
    token_ids = ids[0].tolist()
    for _ in range(cap):
        y_logit, column, forced = text2mel.decode_step(K, V, frame, previous, cache)
        frame = torch.sigmoid(y_logit)
        previous = int(torch.argmax(column))
        frames.append(frame)
        logits.append(y_logit)
        columns.append(column)
        argmaxes.append(previous)
        forced_flags.append(forced)
        if token_ids[previous] == eos_id:
            stopped = True
            break
    return MelResult(mel=torch.cat(frames, dim=2), mel_logit=torch.cat(logits, dim=2),
                     attention=torch.stack(columns, dim=1).unsqueeze(0), attention_argmax=argmaxes,
                     attention_forced=forced_flags, steps=len(logits), stopped_on_eos=stopped)


@torch.inference_mode()
def mel_to_magnitude(ssrn: SSRN, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """SSRN on the whole mel, leading zero frame included: (Z_logit, Z), each (1, f', 4*frames)."""
    return ssrn(mel)


@torch.inference_mode()
def generate_mel_reference(text2mel: Text2Mel, ids: torch.Tensor, cap: int, eos_id: int = 1) -> MelResult:
    """The loop exactly as the original runs it: the whole Text2Mel, text encoder included, on the whole
    mel so far, every step. Kept as the yardstick for `generate_mel` (tests, benchmarks)."""
    n_mels = text2mel.audio_dec.layers[-1].conv.out_channels
    mel = ids.new_zeros(1, n_mels, 1, dtype=torch.float32)
    token_ids = ids[0].tolist()
    y_logit = A = None
    steps, stopped = 0, False
    for _ in range(cap):
        y_logit, y, A = text2mel(ids, mel, monotonic_attention=True)
        mel = torch.cat((mel[:, :, :1], y), dim=2)
        steps += 1
        if token_ids[int(torch.argmax(A[0, :, -1]))] == eos_id:
            stopped = True
            break
    argmax = [int(i) for i in torch.argmax(A[0], dim=0)]
    return MelResult(mel=mel, mel_logit=y_logit, attention=A, attention_argmax=argmax,
                     attention_forced=[], steps=steps, stopped_on_eos=stopped)
