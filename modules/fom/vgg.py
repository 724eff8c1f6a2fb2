"""VGG19 feature extractor for the perceptual loss, in torchvision's `vgg19().features` layout.

The weights are the user's file (torchvision's `vgg19-dcbb9e9d.pth`, keys `features.N.weight`); nothing is
downloaded. Inputs are normalised with the ImageNet mean/std, as the original does.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from ..checkpoint import load_untrusted
from ..errors import CheckpointError

# torchvision config "E": conv widths, "M" = 2x2 max-pool.
VGG19_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
# Features after relu1_1, relu2_1, relu3_1, relu4_1, relu5_1: `features` index ranges.
SLICES = ((0, 2), (2, 7), (7, 12), (12, 21), (21, 30))
VGG_HINT = ("torchvision's ImageNet VGG19 weights, e.g. https://download.pytorch.org/models/vgg19-dcbb9e9d.pth "
            "(or train with --no-perceptual)")


def vgg19_features() -> nn.Sequential:
    """torchvision's `vgg19().features` (37 layers; conv indices 0, 2, 5, ... 34)."""
    layers: list[nn.Module] = []
    in_ch = 3
    for item in VGG19_LAYOUT:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(in_ch, item, kernel_size=3, padding=1), nn.ReLU(inplace=False)]
            in_ch = item
    return nn.Sequential(*layers)


def seeded_vgg19_state(seed: int = 19) -> dict[str, torch.Tensor]:
    """Deterministic random VGG19 weights (the golden fixtures' rule), in the `features.N.*` layout.

    For tests and benchmarks only: it makes the perceptual loss computable without ImageNet weights.
    """
    rng = np.random.default_rng(seed)
    state = {}
    for name, module in vgg19_features().named_children():
        if isinstance(module, nn.Conv2d):
            out_c, in_c = module.out_channels, module.in_channels
            w = rng.standard_normal((out_c, in_c, 3, 3), dtype=np.float32) * np.float32(np.sqrt(2 / (in_c * 9)))
            b = rng.standard_normal((out_c,), dtype=np.float32) * np.float32(0.01)
            state[f"features.{name}.weight"] = torch.from_numpy(w)
            state[f"features.{name}.bias"] = torch.from_numpy(b)
    return state


def load_vgg19_state(source: str | os.PathLike | Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """The `features` weights of a torchvision-layout VGG19 (a path or a state dict), keys `N.weight`.

    Accepts `features.N.*` (torchvision files; `classifier.*` ignored) or bare `N.*` keys.
    """
    what = "VGG19 weights"
    if isinstance(source, Mapping):
        state, where = source, "the given VGG19 state"
    else:
        where = os.fspath(source)
        if not os.path.isfile(where):
            raise CheckpointError(f"VGG19 weights not found: {where}; expected {VGG_HINT}")
        state = load_untrusted(where, map_location="cpu", what=what)
    if not isinstance(state, Mapping):
        raise CheckpointError(f"{where} is not a VGG19 state dict (found {type(state).__name__}); expected {VGG_HINT}")
    feats = {k[len("features."):]: v for k, v in state.items() if isinstance(k, str) and k.startswith("features.")}
    if not feats:
        feats = {k: v for k, v in state.items() if isinstance(k, str) and k.split(".")[0].isdigit()}
    expected = vgg19_features().state_dict()
    missing = [k for k in expected if k not in feats]
    bad = [k for k in expected if k in feats and tuple(getattr(feats[k], "shape", ())) != tuple(expected[k].shape)]
    if missing or bad:
        found = list(state)[:6]
        raise CheckpointError(f"{where} does not hold torchvision VGG19 weights "
                              f"({'missing ' + ', '.join(missing[:4]) if missing else 'wrong shapes: ' + ', '.join(bad[:4])};"
                              f" found keys {found}); expected {VGG_HINT}")
    return {k: feats[k] for k in expected}


class Vgg19(nn.Module):
    """Frozen VGG19 returning the five relu*_1 feature maps of an ImageNet-normalised input."""

    def __init__(self, state: Mapping[str, torch.Tensor] | None = None):
        super().__init__()
        features = vgg19_features()
        if state is not None:
            features.load_state_dict(state, strict=True)
        self.slices = nn.ModuleList(features[a:b] for a, b in SLICES)
        # float32 constants first, as the original builds them (they are cast with the model).
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406], dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225], dtype=torch.float32).view(1, 3, 1, 1))
        self.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = (x - self.mean) / self.std
        feats = []
        for block in self.slices:
            out = block(out)
            feats.append(out)
        return feats
