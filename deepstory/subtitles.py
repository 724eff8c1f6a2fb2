"""Subtitle files (SRT, WebVTT) and the timeline JSON, from the sentence timings of a render."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    speaker: str
    text: str
    clip: str
    line: int


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("-->", "->")


def to_srt(cues: list[Cue]) -> str:
    blocks = [f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n"
              f"{c.speaker + ': ' if c.speaker else ''}{_one_line(c.text)}\n"
              for i, c in enumerate(cues, 1)]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue]) -> str:
    def esc(t: str) -> str:
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    blocks = [f"{i}\n{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n"
              f"{'<v ' + esc(c.speaker) + '>' if c.speaker else ''}{esc(_one_line(c.text))}\n"
              for i, c in enumerate(cues, 1)]
    return "WEBVTT\n\n" + "\n".join(blocks)


def to_timeline(title: str, fps: int, sample_rate: int, duration: float, clips: list[dict],
                cues: list[Cue]) -> str:
    return json.dumps({"title": title, "fps": fps, "sample_rate": sample_rate, "duration": round(duration, 4),
                       "clips": clips,
                       "sentences": [{**asdict(c), "start": round(c.start, 4), "end": round(c.end, 4)}
                                     for c in cues]}, indent=2, ensure_ascii=False)
