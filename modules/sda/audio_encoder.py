"""Audio side: a per-window 1-D conv encoder followed by a 2-layer GRU over the frames.

State-dict names match the original `rnn_audio.RNN` (`encoder.cl.N`, `encoder.activations.N.0`, `rnn.*`).
"""
from __future__ import annotations

import torch
from torch import nn

from .plan import AudioPlan


class WindowEncoder(nn.Module):
    """Maps (N, 1, window) audio windows to (N, code) codes in (-1, 1)."""

    def __init__(self, plan: AudioPlan, code_size: int):
        super().__init__()
        self.code_size = code_size
        self.cl = nn.ModuleList()
        self.activations = nn.ModuleList()
        for spec in plan.convs:
            self.cl.append(nn.Conv1d(spec.in_ch, spec.out_ch, spec.kernel, stride=spec.stride, padding=spec.padding))
            self.activations.append(nn.Sequential(nn.BatchNorm1d(spec.out_ch), nn.ReLU(inplace=True)))
        self.cl.append(nn.Conv1d(plan.final_in_ch, code_size, plan.final_kernel))
        self.activations.append(nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv, act in zip(self.cl, self.activations):
            x = act(conv(x))
        return x.reshape(x.shape[0], self.code_size)


class SpeechEncoder(nn.Module):
    """Windows (B, T, window) -> per-frame motion codes (B, T, rnn_dim)."""

    def __init__(self, plan: AudioPlan, code_size: int, rnn_size: int, n_layers: int = 2):
        super().__init__()
        self.window = plan.window
        self.encoder = WindowEncoder(plan, code_size)
        self.rnn = nn.GRU(code_size, rnn_size, n_layers, batch_first=True)

    def encode_windows(self, windows: torch.Tensor, chunk: int = 256) -> torch.Tensor:
        """Conv codes (N, code) of (N, window) windows, `chunk` windows at a time (windows are independent,
        so a strided view can be fed without materialising every window at once)."""
        out = []
        for start in range(0, windows.shape[0], chunk):
            part = windows[start:start + chunk].reshape(-1, 1, self.window)
            out.append(self.encoder(part))
        return torch.cat(out, 0)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        b, t = windows.shape[:2]
        codes = self.encode_windows(windows.reshape(b * t, self.window)).view(b, t, -1)
        # The original packs a full-length sequence; a plain run over it computes the same thing.
        return self.rnn(codes)[0]
