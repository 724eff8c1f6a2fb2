"""Dot-product attention of Text2Mel with the original's forced monotonicity (inference only)."""
from __future__ import annotations

import torch

# A forced column is filled with this and gets 1 at the allowed position, so its softmax is exactly one-hot.
FORCED_FILL = -2.0 ** 20


def force_column(scores: torch.Tensor, previous: int) -> tuple[torch.Tensor, bool]:
    """Apply the monotonic rule to one column of raw scores (N,) given the previous attended position.

    Attention may stay, move back one, or move forward up to three tokens (the first frame may start on
    tokens 0..2, since `previous` starts at -1); otherwise the column is rewritten to point at
    `min(N-1, previous+1)`. Returns the (possibly rewritten) column and whether it was rewritten.
    """
    jump = int(torch.argmax(scores)) - previous
    if -1 <= jump <= 3:
        return scores, False
    forced = torch.full_like(scores, FORCED_FILL)
    forced[min(scores.shape[0] - 1, previous + 1)] = 1.0
    return forced, True


def monotonic_scores(scores: torch.Tensor) -> tuple[torch.Tensor, list[bool]]:
    """The rule over every frame of raw scores (N, T) in order, like the original forward pass."""
    columns, forced_flags, previous = [], [], -1
    for t in range(scores.shape[1]):
        column, forced = force_column(scores[:, t], previous)
        previous = int(torch.argmax(column))
        columns.append(column)
        forced_flags.append(forced)
    if not columns:
        return scores, []
    return torch.stack(columns, dim=1), forced_flags
