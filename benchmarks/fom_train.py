"""FOM training speed: iterations/s and peak memory of `FomTraining.step` (the original train.py iteration)
for the tiny test config and for full vox-256 (vox-adv-256.yaml: every loss on, GAN included) at batch 1,
256x256; and the share of the iteration time each loss costs (forward + backward), measured by switching
each loss off in turn (CPU time of the process on a CPU, so other processes' load does not skew it; the
fastest of the timed steps), so the next optimisation has a target.

Random weights (no published checkpoint needed) and a random VGG19 by the golden fixtures' rule: speed does
not depend on the values. Every case runs in a child process so its peak memory is its own. CUDA is used
when present (`--device cpu` forces the CPU).

    python benchmarks/fom_train.py [--iterations 5] [--full-iterations 2] [--cases tiny,vox-256] [--warmup 1]
                                   [--no-ablation] [--device cuda]
"""
from __future__ import annotations

import argparse
import copy
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from modules.fom.config import load_config, parse_config  # noqa: E402
from modules.fom.training import FomTraining  # noqa: E402
from modules.fom.vgg import seeded_vgg19_state  # noqa: E402

CASES = {"tiny": (REPO.parent / "shared" / "fixtures" / "fom-train" / "tiny-train.yaml", 2),
         "vox-256": (REPO / "data" / "fom" / "vox-adv-256.yaml", 1)}
# variant -> loss weights switched off (each variant measures one loss's cost by its absence)
VARIANTS = {"all": {}, "no perceptual": {"perceptual": 0}, "no feature_matching": {"feature_matching": 0},
            "no GAN": {"generator_gan": 0, "feature_matching": 0},
            "no equivariance_jacobian": {"equivariance_jacobian": 0},
            "no equivariance": {"equivariance_jacobian": 0, "equivariance_value": 0}}


def _config(path: Path, off: dict):
    raw = copy.deepcopy(load_config(path).raw)
    weights = raw["train_params"]["loss_weights"]
    for name in off:
        weights[name] = [0] * len(weights[name]) if isinstance(weights[name], list) else 0
    return parse_config(raw, source=str(path))


def child(case: str, variant: str, iterations: int, device: str, warmup: int = 1) -> dict:
    """Time `iterations` steps after `warmup` untimed ones; returns seconds per step and peak memory."""
    path, batch_size = CASES[case]
    torch.manual_seed(0)
    config = _config(path, VARIANTS[variant])
    trainer = FomTraining(config, vgg_state=seeded_vgg19_state(), device=device)
    h, w = config.frame_shape[:2]
    g = torch.Generator().manual_seed(1)
    batch = {k: torch.rand(batch_size, 3, h, w, generator=g) for k in ("source", "driving")}
    dev = trainer.device
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        trainer.step(batch)
    sync()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    walls, cpus = [], []
    for _ in range(iterations):
        wall, cpu = time.perf_counter(), time.process_time()
        trainer.step(batch)
        sync()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    peak = (torch.cuda.max_memory_allocated(dev) if dev.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    # the fastest step: on a shared machine the others' load only ever adds time
    return {"seconds": min(walls), "cpu_seconds": min(cpus), "peak_bytes": peak, "device": str(dev), "threads": torch.get_num_threads()}


def run_child(case: str, variant: str, iterations: int, device: str, warmup: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", case, variant, str(iterations), device, str(warmup)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{case} / {variant} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def shares(t: dict[str, float]) -> dict[str, float]:
    """Seconds per iteration each loss costs, from the ablation timings."""
    s = {"perceptual (VGG19 pyramid)": t["all"] - t["no perceptual"],
         "feature_matching": t["all"] - t["no feature_matching"],
         "equivariance_jacobian": t["all"] - t["no equivariance_jacobian"],
         "equivariance_value (+ kp of the transformed frame)": t["no equivariance_jacobian"] - t["no equivariance"]}
    s["gen_gan + discriminator step"] = t["all"] - t["no GAN"] - s["feature_matching"]
    s["rest (kp detector x2, generator, Adam)"] = t["all"] - sum(s.values())
    return s


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--iterations", type=int, default=5, help="timed steps of the tiny config")
    p.add_argument("--full-iterations", type=int, default=2, help="timed steps of vox-256")
    p.add_argument("--no-ablation", action="store_true", help="only the all-losses timing")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--cases", default="tiny,vox-256", help="comma-separated: tiny, vox-256")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps before timing")
    p.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        case, variant, iterations, device, warmup = args.child
        print(json.dumps(child(case, variant, int(iterations), device, int(warmup))))
        return
    wanted = args.cases.split(",")
    for case, iterations in (("tiny", args.iterations), ("vox-256", args.full_iterations)):
        if case not in wanted:
            continue
        variants = ["all"] if args.no_ablation else list(VARIANTS)
        timings = {}
        for variant in variants:
            r = run_child(case, variant, iterations, args.device, args.warmup)
            # shares from this process's CPU time on CPU (other processes' load does not count), wall on CUDA
            timings[variant] = r["seconds"] if "cuda" in r["device"] else r["cpu_seconds"]
            print(f"  ({variant}: {r['seconds']:.2f} s, {r['cpu_seconds']:.2f} CPU s per step)", flush=True)
            if variant == "all":
                _, batch = CASES[case]
                print(f"{case} (batch {batch}) on {r['device']} ({r['threads']} threads): "
                      f"{1 / r['seconds']:.3f} it/s ({r['seconds']:.3f} s/it), peak memory "
                      f"{r['peak_bytes'] / 2 ** 20:.0f} MiB ({'GPU allocated' if 'cuda' in r['device'] else 'RSS'})")
        if not args.no_ablation:
            for name, sec in sorted(shares(timings).items(), key=lambda kv: -kv[1]):
                print(f"  {name:52s} {sec:8.3f} {'s' if args.device.startswith('cuda') else 'CPU s'}/it "
                      f" {100 * sec / timings['all']:5.1f} %")


if __name__ == "__main__":
    main()
