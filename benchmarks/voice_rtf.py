"""Real-time factor of the piper:joe neural voice against espeak-ng, measured in the same run.

    python benchmarks/voice_rtf.py [--sentences 12]

RTF = synthesis seconds / audio seconds (below 1 is faster than real time). espeak-ng is the baseline;
the ratio says how much slower piper is on this machine. Model load time and peak RSS are printed too.
Needs the optional extra: pip install -r requirements-piper.txt.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deepstory.errors import VoiceError  # noqa: E402
from deepstory.voices import resolve_voice  # noqa: E402

SENTENCES = [
    "The night was cold, and the wind howled across the empty harbour.",
    "Nobody came to the station after the last train had gone.",
    "She listened to the radio while the lights flickered on and off again.",
    "I have been waiting here for an hour; where have you been?",
    "The old man smiled, folded the letter, and put it back in his coat.",
    "Far away, a dog barked twice and then the street was quiet.",
]


def measure(spec: str, texts: list[str]) -> tuple[float, float, float]:
    """(load seconds, synthesis seconds, audio seconds)."""
    voice = resolve_voice(spec)
    t0 = time.perf_counter()
    with voice:
        t1 = time.perf_counter()
        voice.synthesize("Warm up.")
        t2 = time.perf_counter()
        audio = sum(len(s.audio) / s.sample_rate for s in map(voice.synthesize, texts))
        synth = time.perf_counter() - t2
    return t1 - t0, synth, audio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=12)
    args = ap.parse_args()
    texts = [SENTENCES[i % len(SENTENCES)] for i in range(args.sentences)]
    rows = {}
    for spec in ("espeak:en-us", "piper:joe"):
        try:
            rows[spec] = measure(spec, texts)
        except VoiceError as exc:           # piper is an optional extra: `make bench` must not fail on it
            print(f"{spec}: skipped ({exc})")
            return
        load, synth, audio = rows[spec]
        print(f"{spec:14s} load {load:5.2f} s  synth {synth:6.2f} s for {audio:6.1f} s audio  RTF {synth / audio:.4f}")
    base = rows["espeak:en-us"][1] / rows["espeak:en-us"][2]
    piper = rows["piper:joe"][1] / rows["piper:joe"][2]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"piper/espeak RTF ratio {piper / base:.0f}x   peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
