"""Window cutting as one strided view equals the original definition (pad floor-half left, rest right;
window i = padded[i*stride : i*stride + window]; built there by repeated concatenation)."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings, strategies as st

from modules.sda import cut_windows, frame_count


def cut_like_original(seq: torch.Tensor, window: int, stride: int) -> torch.Tensor:
    """The original algorithm, restated: pad, take the first window, then concatenate one window at a time."""
    pad = window - stride
    seq = seq.view(-1, 1)
    seq = torch.cat((torch.zeros(pad // 2, 1), seq), 0)
    seq = torch.cat((seq, torch.zeros(pad - pad // 2, 1)), 0)
    stacked = seq.narrow(0, 0, window).unsqueeze(0)
    for i in range(1, (seq.size(0) - window) // stride + 1):
        stacked = torch.cat((stacked, seq.narrow(0, i * stride, window).unsqueeze(0)))
    return stacked[:, :, 0]


@pytest.mark.parametrize("n, window, stride", [
    (48072, 8000, 1600),     # tiny case: even pad
    (16000, 3200, 533),      # crema-like 16 kHz at 30 fps: odd pad 2667, truncated stride
    (1600, 8000, 1600),      # exactly one frame
    (3199, 8000, 1600),      # just under two frames
    (10001, 9600, 1600),     # timit-like window, length not a multiple of the stride
    (77, 9, 4),              # odd pad, tiny numbers
])
def test_matches_original(n, window, stride):
    seq = torch.randn(n)
    got = cut_windows(seq, window, stride)
    want = cut_like_original(seq, window, stride)
    assert got.shape == want.shape == (n // stride, window)
    assert torch.equal(got, want)
    assert frame_count(n, window, stride) == n // stride
    assert got.stride() == (stride, 1)        # a view: no window is copied


@settings(max_examples=60, deadline=None)
@given(stride=st.integers(1, 40), extra=st.integers(0, 60), frames=st.integers(1, 12), tail=st.integers(0, 39))
def test_matches_original_property(stride, extra, frames, tail):
    window = stride + extra
    n = frames * stride + min(tail, stride - 1)
    seq = torch.arange(n, dtype=torch.float32) + 1
    assert torch.equal(cut_windows(seq, window, stride), cut_like_original(seq, window, stride))


def test_too_short_is_refused():
    with pytest.raises(ValueError):
        cut_windows(torch.zeros(1599), 8000, 1600)
