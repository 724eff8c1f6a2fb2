"""SSRN: mel (B, n_mels, T) -> full magnitude spectrogram (B, 1+n_fft//2, 4T), weight-normalised convs."""
from __future__ import annotations

import torch
from torch import nn

from .hparams import HParams
from .layers import ResidualBlock, WNConv, WNDeconv


class SSRN(nn.Module):
    def __init__(self, hp: HParams):
        super().__init__()
        c, f_prime = hp.c, hp.f_prime
        self.layers = nn.Sequential(
            WNConv(hp.n_mels, c, 1),
            ResidualBlock(c, 3, 1), ResidualBlock(c, 3, 3),
            WNDeconv(c), ResidualBlock(c, 3, 1), ResidualBlock(c, 3, 3),
            WNDeconv(c), ResidualBlock(c, 3, 1), ResidualBlock(c, 3, 3),
            WNConv(c, 2 * c, 1),
            ResidualBlock(2 * c, 3, 1), ResidualBlock(2 * c, 3, 1),
            WNConv(2 * c, f_prime, 1),
            ResidualBlock(f_prime, 1, 1),
            WNConv(f_prime, f_prime, 1),
        )

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(Z_logit, Z = sigmoid(Z_logit))."""
        z_logit = self.layers(mel)
        return z_logit, torch.sigmoid(z_logit)
