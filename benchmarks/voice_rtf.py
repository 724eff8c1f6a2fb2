"""Real-time factor of the neural voices (piper:joe, each kokoro style, a blend) and of the recogniser,
against espeak-ng measured in the same run.

    python benchmarks/voice_rtf.py [--sentences 12]

RTF = synthesis seconds / audio seconds (below 1 is faster than real time). espeak-ng is the baseline;
the ratio says how much slower piper is on this machine. Model load time and peak RSS are printed too.
The neural voices and the recogniser come with `make demo`; missing ones are reported as skipped.
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


def measure_recogniser(texts: list[str]) -> tuple[float, float, float]:
    """(load seconds, transcription seconds, audio seconds) of Whisper tiny.en on piper:joe speech."""
    import numpy as np
    from deepstory.recognizer import Recognizer
    voice = resolve_voice("piper:joe")
    with voice:
        speech = [voice.synthesize(t) for t in texts]
    t0 = time.perf_counter()
    rec = Recognizer()
    t1 = time.perf_counter()
    for s in speech:
        rec.transcribe(np.asarray(s.audio), s.sample_rate)
    return t1 - t0, time.perf_counter() - t1, sum(len(s.audio) / s.sample_rate for s in speech)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=12)
    args = ap.parse_args()
    texts = [SENTENCES[i % len(SENTENCES)] for i in range(args.sentences)]
    rows = {}
    specs = ["espeak:en-us", "piper:joe", "kokoro:alpha", "kokoro:gongitsune", "kokoro:nezumi", "kokoro:tebukuro",
             "kokoro:kumo", "kokoro:alpha*0.5+kumo*0.5"]
    for spec in specs:
        try:
            rows[spec] = measure(spec, texts)
        except VoiceError as exc:           # optional extras: `make bench` must not fail on them
            print(f"{spec}: skipped ({exc})")
            continue
        load, synth, audio = rows[spec]
        base = rows["espeak:en-us"][1] / rows["espeak:en-us"][2]
        print(f"{spec:26s} load {load:5.2f} s  synth {synth:6.2f} s for {audio:6.1f} s audio  RTF {synth / audio:.4f}"
              f"  ({synth / audio / base:.0f}x espeak)")
    try:
        load, took, audio = measure_recogniser(texts)
        print(f"{'recogniser (whisper tiny.en)':26s} load {load:5.2f} s  transcribe {took:6.2f} s for {audio:6.1f} s "
              f"audio  RTF {took / audio:.4f}")
    except Exception as exc:  # noqa: BLE001 - optional: report and go on
        print(f"recogniser: skipped ({exc})")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
