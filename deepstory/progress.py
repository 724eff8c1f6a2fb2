"""Progress reporting for long renders: tqdm bars in the CLI, a recorder for the web app."""
from __future__ import annotations

import sys
from collections import defaultdict
from typing import Callable

from .errors import DeepstoryError


class RenderCancelled(DeepstoryError):
    """The render was cancelled; finished stages stay cached."""


class Reporter:
    """Receives progress; the base class ignores everything (quiet)."""

    def __init__(self) -> None:
        self.rendered: dict[str, int] = defaultdict(int)
        self.reused: dict[str, int] = defaultdict(int)
        self.stages: list[str] = []

    def stage(self, name: str, total: int) -> None:
        self.stages.append(name)

    def step(self, name: str, *, reused: bool, label: str = "") -> None:
        (self.reused if reused else self.rendered)[name] += 1

    def end_stage(self, name: str) -> None: ...

    def log(self, message: str) -> None: ...

    def close(self) -> None:
        """Finish any open progress display (before an error is printed)."""

    def summary(self) -> list[str]:
        names = list(dict.fromkeys([*self.stages, *self.rendered, *self.reused]))
        return [f"{n}: {self.rendered[n]} rendered, {self.reused[n]} reused from cache" for n in names]


class TqdmReporter(Reporter):
    """One tqdm bar per stage on stderr."""

    def __init__(self) -> None:
        super().__init__()
        self._bars: dict = {}

    def stage(self, name: str, total: int) -> None:
        super().stage(name, total)
        from tqdm import tqdm
        self._bars[name] = tqdm(total=total, desc=f"{name:<8}", unit="item", leave=True, file=sys.stderr,
                                dynamic_ncols=True)

    def step(self, name: str, *, reused: bool, label: str = "") -> None:
        super().step(name, reused=reused, label=label)
        bar = self._bars.get(name)
        if bar is not None:
            bar.set_postfix_str(f"{self.reused[name]} reused", refresh=False)
            bar.update(1)

    def end_stage(self, name: str) -> None:
        bar = self._bars.pop(name, None)
        if bar is not None:
            bar.close()

    def close(self) -> None:
        for name in list(self._bars):
            self._bars.pop(name).close()

    def log(self, message: str) -> None:
        from tqdm import tqdm
        tqdm.write(message, file=sys.stderr)


def check_cancel(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise RenderCancelled("render cancelled; finished clips are cached and will be reused")
