"""`transition: dissolve`: a cross-fade of DISSOLVE_FRAMES frames centred on every cut between two clips.

The story's timing never changes: every clip keeps its own frames at its own times, in sync with its
audio. Over the last half of the fade a clip's frames blend towards the next clip's first (framed) picture,
held; over the first half the next clip's frames come out of the previous clip's last picture, held. Done in
the per-clip frame pass (deepstory/assembly.py), so a transition change re-frames clips and never
re-animates them; the neighbour pictures come from the cached animated clips.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

import numpy as np

from .cache import StageCache
from .framing import ClipFrame
from .media import read_frames

TRANSITIONS = ("cut", "dissolve")
DISSOLVE_FRAMES = 8          # frames of one dissolve, half on each side of the cut


@dataclass(frozen=True)
class Edge:
    """One side of a dissolve inside a clip: its first (`start`) or last (`end`) `frames` frames blend with
    the neighbour clip's nearest picture, framed by the neighbour's own ClipFrame."""
    side: str                          # "start" (the previous clip's last picture) | "end" (the next one's first)
    frames: int                        # frames of this clip that blend (half of the dissolve)
    neighbour: str                     # the neighbour's animate cache key
    neighbour_frame: ClipFrame         # how the neighbour is framed
    image: np.ndarray | None = field(default=None, compare=False, repr=False)   # the held picture, framed

    def key(self) -> dict:
        return {"side": self.side, "frames": self.frames, "neighbour": self.neighbour,
                "frame": self.neighbour_frame.key()}

    def weight(self, i: int, n: int) -> float:
        """The neighbour's share in frame i of an n-frame clip (0 outside this edge)."""
        total = 2 * self.frames + 1
        if self.side == "start":
            return 1.0 - (self.frames + i + 1) / total if i < self.frames else 0.0
        j = i - (n - self.frames)                  # 0 .. frames-1 over the last frames
        return (j + 1) / total if j >= 0 else 0.0


def plan_edges(transition: str, tasks: list, frames_of: dict[str, ClipFrame], cuts_only: set[int] = frozenset()
               ) -> list[tuple[Edge, ...]]:
    """The dissolve edges of each clip (none for `cut`), in story order; clips in `cuts_only` get none
    (side-by-side duo clips: their neighbour picture is not one speaker's frame)."""
    edges: list[list[Edge]] = [[] for _ in tasks]
    if transition != "dissolve":
        return [() for _ in tasks]
    for a, (left, right) in enumerate(zip(tasks, tasks[1:])):
        if a in cuts_only or a + 1 in cuts_only:
            continue
        half = min(DISSOLVE_FRAMES // 2, left.n_frames // 2, right.n_frames // 2)
        if half < 1:
            continue
        edges[a].append(Edge("end", half, right.animate_key, frames_of[right.speaker]))
        edges[a + 1].append(Edge("start", half, left.animate_key, frames_of[left.speaker]))
    return [tuple(e) for e in edges]


def _edge_picture(edge: Edge, cache: StageCache) -> np.ndarray:
    clip = cache.path("animate", edge.neighbour, ".mp4")
    if edge.side == "end":
        picture = next(read_frames(clip))
    else:
        picture = None
        for picture in read_frames(clip):           # the last frame (clips are short; decoding is cheap)
            pass
    return edge.neighbour_frame.apply(picture)


def with_pictures(edges: tuple[Edge, ...], cache: StageCache) -> tuple[Edge, ...]:
    """The edges with their held neighbour pictures loaded (on the head, before the frame pass)."""
    return tuple(replace(e, image=_edge_picture(e, cache)) for e in edges)


def dissolve(frames: Iterable[np.ndarray], n: int, edges: tuple[Edge, ...]) -> Iterator[np.ndarray]:
    """The clip's framed pictures with its dissolve edges blended in."""
    for i, frame in enumerate(frames):
        for edge in edges:
            w = edge.weight(i, n)
            if w > 0:
                frame = (frame.astype(np.float32) * (1 - w) + edge.image.astype(np.float32) * w
                         + 0.5).astype(np.uint8)
        yield frame
