"""Writing small story folders for tests (portraits copied from the bundled public-domain ones)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from deepstory.pipeline import render_story
from deepstory.progress import Reporter
from deepstory.story import load_story

REPO = Path(__file__).resolve().parents[1]
PORTRAITS = REPO / "data" / "portraits"


def make_story_dir(tmp: Path, body: str, *, speakers: dict[str, dict] | None = None, animator: str = "still",
                   extra: str = "", name: str = "tale") -> Path:
    """A folder with portraits and `<name>.md`; speakers map name -> front-matter dict (strings)."""
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copy(PORTRAITS / "astronaut.jpg", tmp / "astronaut.jpg")
    shutil.copy(PORTRAITS / "grace_hopper.jpg", tmp / "hopper.jpg")
    mirrored = cv2.imread(str(PORTRAITS / "astronaut.jpg"))[:, ::-1]
    cv2.imwrite(str(tmp / "mirror.png"), np.ascontiguousarray(mirrored))
    fm = ["---", f"title: {name.title()}", f"animator: {animator}", "max_side: 128"]
    if speakers:
        fm.append("speakers:")
        for who, spec in speakers.items():
            inner = ", ".join(f'{k}: "{v}"' for k, v in spec.items())
            fm.append(f"  {who}: {{{inner}}}")
    if extra:
        fm.append(extra)
    fm.append("---")
    path = tmp / f"{name}.md"
    path.write_text("\n".join(fm) + "\n" + body, encoding="utf-8")
    return path


THREE = {
    "Narrator": {"voice": "espeak:en-us+m3", "portrait": "hopper.jpg"},
    "Eileen": {"voice": "espeak:en-gb+f3", "portrait": "astronaut.jpg"},
    "Twin": {"voice": "espeak:en-us+f4", "portrait": "mirror.png"},
}
THREE_BODY = """Narrator: The night was cold. The wind howled.
Eileen | I hate portals… really!
Twin: Me too, sister.

Narrator: They waited, and waited — until 5 p.m.
Eileen: Fine. Let's go?
"""


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python run_story.py ARGS` in a fresh process, as a user runs it."""
    return subprocess.run([sys.executable, str(REPO / "run_story.py"), *args], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})


TWO = {"Narrator": {"voice": "espeak:en-us+m3", "portrait": "hopper.jpg"},
       "Eileen": {"voice": "espeak:en-gb+f3", "portrait": "astronaut.jpg"}}
TWO_BODY = "Narrator: The night was cold.\nEileen: I hate portals.\n"


def sda_fom_front_matter(fixtures_dir: Path, fom: str | None = None) -> str:
    """`sda:` (the tiny SDA fixture) and `fom:` front matter; `fom` is the inside of `fom: {...}`, by default
    the tiny FOM fixture's config and checkpoint."""
    f = fixtures_dir / "fom"
    fom = fom or f'config: "{f / "tiny-256.yaml"}", checkpoint: "{f / "tiny-cpk.pth.tar"}"'
    return f'sda: {{checkpoint: "{fixtures_dir / "sda" / "tiny.dat"}"}}\nfom: {{{fom}}}'


class LogReporter(Reporter):
    """A quiet reporter that keeps every logged message (retries, cache damage) and can watch steps."""

    def __init__(self, on_step=None) -> None:
        super().__init__()
        self.messages: list[str] = []
        self.on_step = on_step

    def log(self, message: str) -> None:
        self.messages.append(message)

    def step(self, name: str, *, reused: bool, label: str = "") -> None:
        super().step(name, reused=reused, label=label)
        if self.on_step is not None:
            self.on_step(name)


def render(story: Path, out: Path, cache: Path, **kw) -> LogReporter:
    """`render_story` of a story file, quietly: its reporter (counts, messages), the result as `.result`."""
    rep = kw.pop("reporter", None) or LogReporter()
    rep.result = render_story(load_story(story), out, cache_dir=cache, reporter=rep, **kw)
    return rep


def maxdiff(a, b) -> float:
    """Largest absolute difference of two same-shaped arrays (float64)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max()) if a.size else 0.0
