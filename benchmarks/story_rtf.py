"""Whole-story real-time factor per stage and peak memory: a generated ~5-minute story vs a ~30-second one.

    python benchmarks/story_rtf.py [--animator builtin|still] [--max-side 512] [--minutes 5]

Each story renders in a fresh process with an empty cache; RTF = stage seconds / story audio seconds
(below 1 is faster than real time). The 30-second story is the baseline for the memory ratio: memory must
stay flat in story length (frames stream to the encoder clip by clip).
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORDS = ("the night was cold and the wind came down from the hills where nobody had walked for years "
         "she listened to the radio while the station hummed and the lights flickered on and off again").split()

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from deepstory.pipeline import render_story
from deepstory.story import load_story
t = time.perf_counter()
r = render_story(load_story(sys.argv[2]), Path(sys.argv[3]), cache_dir=Path(sys.argv[4]), animator=sys.argv[5])
total = time.perf_counter() - t
print(json.dumps({"duration": r.duration, "total": total, "stages": r.stage_seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_story(seconds: float, max_side: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    speakers = ["Narrator", "Eileen", "Grace"]
    lines, words = [], 0
    target_words = int(seconds * 2.9)          # espeak at ~165 wpm plus pauses
    while words < target_words:
        n = rng.randint(6, 18)
        sentence = " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()
        punct = rng.choice([".", ".", "!", "?", ", and then."])
        lines.append(f"{speakers[len(lines) % 3]}: {sentence}{punct}")
        words += n
    fm = (f"---\ntitle: Bench\nmax_side: {max_side}\nspeakers:\n"
          f"  Narrator: {{voice: 'espeak:en-us+m3', portrait: {REPO}/data/portraits/grace_hopper.jpg}}\n"
          f"  Eileen: {{voice: 'espeak:en-gb+f3', portrait: {REPO}/data/portraits/astronaut.jpg}}\n"
          f"  Grace: {{voice: 'espeak:en-us+f4', portrait: {REPO}/data/portraits/grace_hopper.jpg}}\n---\n")
    return fm + "\n".join(lines) + "\n"


def run(seconds: float, animator: str, max_side: int, tmp: Path) -> dict:
    story = tmp / f"story{int(seconds)}.md"
    story.write_text(make_story(seconds, max_side))
    out = subprocess.run([sys.executable, "-c", CHILD, str(REPO), str(story), str(tmp / f"out{int(seconds)}"),
                          str(tmp / f"cache{int(seconds)}"), animator], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--animator", default="builtin")
    ap.add_argument("--max-side", type=int, default=512)
    ap.add_argument("--minutes", type=float, default=5.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = run(30, args.animator, args.max_side, Path(tmp))
        big = run(args.minutes * 60, args.animator, args.max_side, Path(tmp))
    print(f"animator={args.animator} max_side={args.max_side}")
    print(f"{'story':>8} {'audio s':>8} {'voice':>7} {'drive':>7} {'animate':>8} {'assemble':>9} {'total':>7} {'peak MB':>8}")
    for label, r in (("short", small), ("long", big)):
        d = r["duration"]
        s = r["stages"]
        print(f"{label:>8} {d:8.1f} {s['voice'] / d:7.3f} {s['drive'] / d:7.3f} {s['animate'] / d:8.3f} "
              f"{s['assemble'] / d:9.3f} {r['total'] / d:7.3f} {r['peak_rss_mb']:8.0f}")
    print(f"real-time factor (render s / audio s), long story: {big['total'] / big['duration']:.3f}")
    print(f"peak memory ratio long/short: {big['peak_rss_mb'] / small['peak_rss_mb']:.2f}  (goal: about 1)")


if __name__ == "__main__":
    main()
