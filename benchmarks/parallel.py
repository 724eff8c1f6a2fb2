"""Serial vs `--jobs 2` vs Ray (2 local workers) on a 20-clip story, and what N workers would give.

    python benchmarks/parallel.py [--clips 20] [--max-side 512] [--animator builtin|still] [--no-ray]

The voice stage is rendered once into a seed cache; every executor then starts from a copy of it, so each
run does the same drive + animate + assemble work (equal work; outputs compared byte for byte). Printed:
wall time per executor, speed-up against serial, and the overhead per clip (parallel wall time minus the
ideal serial/N, divided by clips). Then a scale-out model: the serial per-clip times measured here, the
head's assembly time measured here, and each clip's bytes sent over a 1 Gbit/s link, for N = 1..64
workers (greedy longest-first placement), printed as expected speed-up.
"""
from __future__ import annotations

import argparse
import heapq
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORDS = ("the night was cold and the wind came down from the hills where nobody had walked for years "
         "she listened to the radio while the station hummed and the lights flickered").split()
LINK_BYTES_PER_S = 125e6            # 1 Gbit/s between head and workers
PER_CLIP_LATENCY_S = 0.002          # one round trip per clip on a LAN


def make_story(folder: Path, clips: int, max_side: int, animator: str) -> Path:
    rng = random.Random(3)
    lines = []
    for i in range(clips):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12))).capitalize()
        lines.append(f"{['Narrator', 'Eileen'][i % 2]}: {words}.")
    p = REPO / "data" / "portraits"
    text = (f"---\ntitle: Parallel\nanimator: {animator}\nmax_side: {max_side}\nframing: fit\nspeakers:\n"
            f"  Narrator: {{voice: 'espeak:en-us+m3', portrait: {p}/grace_hopper.jpg}}\n"
            f"  Eileen: {{voice: 'espeak:en-gb+f3', portrait: {p}/astronaut.jpg}}\n---\n" + "\n".join(lines) + "\n")
    path = folder / "parallel.md"
    path.write_text(text)
    return path


def run(story: Path, seed_cache: Path, work: Path, name: str, executor) -> dict:
    from deepstory.pipeline import render_story
    from deepstory.story import load_story
    cache = work / f"cache-{name}"
    shutil.copytree(seed_cache / "voice", cache / "voice")
    t = time.perf_counter()
    r = render_story(load_story(story), work / f"out-{name}", cache_dir=cache, executor=executor)
    wall = time.perf_counter() - t
    clips = {p.name: p.read_bytes() for p in (cache / "animate").rglob("*.mp4")}
    return {"wall": wall, "stages": r.stage_seconds, "video": r.video.read_bytes(), "clips": clips,
            "duration": r.duration}


def per_clip_times(story: Path, seed_cache: Path, work: Path) -> list[float]:
    """Serial drive + animate + frame seconds of each clip (a separate in-process pass, timed per clip)."""
    from deepstory.cast import resolve_cast
    from deepstory.cache import StageCache
    from deepstory.clip_stages import animate, drive
    from deepstory.assembly import FrameJob, frame_clip, frame_plans, story_frame_size
    from deepstory.executors import speech_for
    from deepstory.planning import choose_engines, plan_clips
    from deepstory.progress import Reporter
    from deepstory.story import load_story
    from deepstory.voice_stage import run_voice_stage
    s = load_story(story)
    cache_dir = work / "cache-timing"
    shutil.copytree(seed_cache / "voice", cache_dir / "voice")
    cache = StageCache(cache_dir)
    engines = choose_engines(s)
    cast = resolve_cast(s)
    drv, anim = engines.make_driver(), engines.make_animator()
    tasks = plan_clips(s, cast, run_voice_stage(s, cast, cache, Reporter(), None), cache, drv, anim)
    times = []
    frames_of = frame_plans(s, cast, story_frame_size(s, cast))
    with drv, anim:
        sessions = {sp: anim.open_speaker(p.image, label=p.label, speaker=sp, no_face="error")
                    for sp, p in cast.portraits.items()}
        for t in tasks:
            t0 = time.perf_counter()
            speech = speech_for(t, cache)
            motion = drive(t, speech, drv)
            clip = animate(t, motion, speech, sessions[t.speaker], work / f"timing-{t.id}.mp4")
            frame_clip(FrameJob(t, frames_of[t.speaker], (), "timing"), clip, work / f"timing-{t.id}-framed.mp4")
            times.append(time.perf_counter() - t0)
    return times


def model(times: list[float], clip_bytes: list[int], assemble_s: float, n: int) -> float:
    """Expected wall time with n workers: longest-first placement; each clip also pays its bytes over the
    link and one round trip; the head assembles after the last clip."""
    loads = [0.0] * n
    heapq.heapify(loads)
    for t, b in sorted(zip(times, clip_bytes), reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + t + b / LINK_BYTES_PER_S + PER_CLIP_LATENCY_S)
    return max(loads) + assemble_s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=20)
    ap.add_argument("--max-side", type=int, default=512)
    ap.add_argument("--animator", default="builtin", choices=("builtin", "still"))
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    from deepstory.executors import InProcessExecutor
    from deepstory.process_executor import ProcessExecutor, cpu_count
    work = Path(tempfile.mkdtemp(prefix="deepstory-parallel-"))
    try:
        story = make_story(work, args.clips, args.max_side, args.animator)
        # the voice stage once (espeak's klatt voices add random noise: every run must speak the same audio)
        from deepstory.pipeline import render_story
        from deepstory.story import load_story
        seed = work / "cache-seed"
        render_story(load_story(story), work / "out-seed", cache_dir=seed, animator="still")
        print(f"{args.clips}-clip story, {args.animator} at {args.max_side}px, {cpu_count()} CPU cores")
        results = {"serial": run(story, seed, work, "serial", InProcessExecutor()),
                   "jobs 2": run(story, seed, work, "jobs2", ProcessExecutor(2))}
        if not args.no_ray:
            try:
                import ray
                ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
                from deepstory.ray_executor import RayExecutor
                results["ray 2"] = run(story, seed, work, "ray2", RayExecutor("auto"))
                ray.shutdown()
            except ImportError:
                print("(ray not installed: pip install -r requirements-ray.txt)")
        base = results["serial"]
        print(f"{'executor':<8} {'wall s':>7} {'speed-up':>8} {'overhead/clip s':>15}  same bytes")
        for name, r in results.items():
            n = 1 if name == "serial" else 2
            overhead = (r["wall"] - base["wall"] / n) / args.clips
            same = r["video"] == base["video"] and r["clips"] == base["clips"]
            print(f"{name:<8} {r['wall']:7.2f} {base['wall'] / r['wall']:8.2f}x {overhead:15.3f}  {same}")
        times = per_clip_times(story, seed, work)
        sizes = sorted(len(b) for b in base["clips"].values())
        sizes = (sizes * (len(times) // len(sizes) + 1))[:len(times)]
        assemble_s = base["stages"]["assemble"]
        one = model(times, sizes, assemble_s, 1)
        print(f"\nscale-out model: {len(times)} clips, {sum(times):.2f} s of clip work, clip bytes "
              f"{sum(sizes) / 1e6:.2f} MB, head assembly {assemble_s:.2f} s, link 1 Gbit/s")
        print(f"{'workers':>7} {'expected s':>10} {'speed-up':>8}")
        for n in (1, 2, 4, 8, 16, 32, 64):
            t = model(times, sizes, assemble_s, n)
            print(f"{n:7d} {t:10.2f} {one / t:8.2f}x")
        print("(a story of C clips scales until C/N clips per worker ~ 1; the longest clip and the head's "
              "assembly bound it; scale the clip count with the story)")
        print(json.dumps({k: round(v["wall"], 3) for k, v in results.items()}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
