"""FOM animation speed: the batched, source-cached FomAnimator vs a per-frame loop written like the
original `make_animation` (kp detector + normalize_kp + full generator per frame, batch 1, nothing cached),
and the same model exported with `fom export` run by onnxruntime (fp32, and fp16 where it runs).

Full vox-256 size with seeded random weights, 256x256 frames. Both run in this process on the same
inputs; outputs are compared; the ratio, achieved GFLOP/s and (in child processes) peak memory for a long
vs a short clip are printed. Runs on CUDA when present (batched there too), else CPU.

    python benchmarks/fom_animate.py [--frames 32] [--batch-sizes 1,8] [--memory-frames 512 --memory-base 64]
                                     [--no-onnx]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modules.fom import FomAnimator, build_models, load_config, prepare_driving, reference_animation  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "data" / "fom" / "vox-256.yaml"


GAINS = {"kp": 0.4, "jacobian": 0.2, "final": 3.0, "dense_motion_network.mask": 4.0,
         "dense_motion_network.occlusion": 3.0}


def random_models(device: torch.device):
    """vox-256 with seeded random weights, randomised the way the golden fixtures were (see
    shared/fixtures/fom/README.md), so keypoints spread out, jacobians are not the identity and the
    prediction is far from a constant image; in eval mode."""
    torch.manual_seed(0)
    kp_detector, generator = build_models(load_config(CONFIG))
    with torch.no_grad():
        for module in (kp_detector, generator):
            for name, m in module.named_modules():
                if isinstance(m, torch.nn.Conv2d):
                    fan_in = m.weight[0].numel()
                    m.weight.normal_(0, GAINS.get(name, 2 ** 0.5) / fan_in ** 0.5)
                    m.bias.normal_(0, 0.05)
                    if name == "jacobian":
                        m.bias.normal_(0, 0.15).add_(torch.tensor([1.0, 0, 0, 1.0]).repeat(m.bias.numel() // 4))
                elif isinstance(m, torch.nn.BatchNorm2d):
                    m.weight.uniform_(0.75, 1.25)
                    m.bias.normal_(0, 0.1)
                    m.running_mean.normal_(0, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
        # Random BN statistics do not normalise, so activations grow with depth: rescale the last conv
        # so the prediction's logits have std ~1.5 (a picture, not a saturated 0/1 image).
        x = torch.rand(1, 3, 256, 256)
        kp = kp_detector(x)
        logits = {}
        hook = generator.final.register_forward_hook(lambda m, i, o: logits.update(std=float(o.std())) or None)
        generator(x, kp_source=kp, kp_driving=kp)
        hook.remove()
        generator.final.weight.mul_(1.5 / logits["std"])
        generator.final.bias.zero_()
    return kp_detector.to(device).eval(), generator.to(device).eval()


def synthetic_source(size: int = 256) -> np.ndarray:
    rng = np.random.default_rng(1)
    small = torch.from_numpy(rng.random((1, 3, 8, 8), dtype=np.float32))
    img = torch.nn.functional.interpolate(small, size=(size, size), mode="bicubic", align_corners=False)
    return (img.clamp(0, 1)[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def synthetic_frames(n: int, size: int = 256):
    """A lazily generated moving blob pattern (uint8, size x size x 3)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    for t in range(n):
        cx, cy = 0.5 + 0.1 * np.sin(t / 5), 0.5 + 0.08 * np.cos(t / 7)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 0.02)
        frame = np.stack([blob, 0.5 * blob + 0.3 * x, 0.6 * y + 0.2 * np.sin(10 * x + t / 3)], axis=-1)
        yield (np.clip(frame, 0, 1) * 255).astype(np.uint8)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def gflops(fn) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops() / 1e9


def memory_child(n: int, batch_size: int, device: torch.device) -> None:
    """Animate n frames, print peak memory as JSON (CPU: max RSS; CUDA: max allocated)."""
    kp_detector, generator = random_models(device)
    animator = FomAnimator.from_models(kp_detector, generator, 256, device)
    count = sum(1 for _ in animator.animate(synthetic_source(), synthetic_frames(n), batch_size=batch_size))
    peak = (torch.cuda.max_memory_allocated(device) if device.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    print(json.dumps({"frames": count, "peak_bytes": peak}))


def onnx_animators(kp_detector, generator, tmp: Path, device: torch.device) -> dict[str, object]:
    """The models exported by `fom export` (fp32 and fp16) and loaded on onnxruntime; {} without it."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print("onnxruntime not installed: no onnxruntime rows (pip install -r requirements-onnx.txt)")
        return {}
    from deepstory.fom_export import export_models
    from modules.fom.onnx_animator import OnnxFomAnimator
    checkpoint = tmp / "random-vox.pth.tar"
    torch.save({"generator": generator.state_dict(), "kp_detector": kp_detector.state_dict()}, checkpoint)
    out: dict[str, object] = {}
    for label, fp16 in (("fp32", False), ("fp16", True)):
        try:
            export_models(CONFIG, checkpoint, tmp / label, fp16=fp16, progress=False)
            out[label] = OnnxFomAnimator(tmp / label, device.type).load()
        except Exception as exc:  # noqa: BLE001 - report what this runtime cannot do and go on
            print(f"onnxruntime {label}: not run here ({str(exc).splitlines()[0][:160]})")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=32)
    ap.add_argument("--batch-sizes", default="1,8", help="animator batch sizes to time, comma-separated")
    ap.add_argument("--memory-frames", type=int, default=512)
    ap.add_argument("--memory-base", type=int, default=64)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--device", default=None)
    ap.add_argument("--no-onnx", action="store_true", help="skip the onnxruntime rows")
    ap.add_argument("--memory-child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    if args.memory_child:
        memory_child(args.memory_child, int(args.batch_sizes.split(",")[-1]), device)
        return

    kp_detector, generator = random_models(device)
    source = synthetic_source()
    frames = list(synthetic_frames(args.frames))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.2f} at start (other processes share this CPU; timings are noisy)")
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"{args.frames} frames 256x256, vox-256 random weights")

    src_t = prepare_driving(source[None], 256, device)
    drv_t = [prepare_driving(f[None], 256, device) for f in frames]
    sizes = [int(v) for v in args.batch_sizes.split(",") if v.strip()]
    # Warm-up (allocator, oneDNN primitive caches) for both paths.
    list(reference_animation(kp_detector, generator, src_t, drv_t[:1]))
    animator = FomAnimator.from_models(kp_detector, generator, 256, device)
    for bs in sizes:
        list(animator.predictions(source, frames[:bs], batch_size=bs))

    import tempfile
    tmp = tempfile.TemporaryDirectory(prefix="fom-onnx-bench-")
    onnx = {} if args.no_onnx else onnx_animators(kp_detector, generator, Path(tmp.name), device)
    for runner in onnx.values():
        list(runner.predictions(source, frames[:sizes[-1]], batch_size=sizes[-1]))
    onnx_out: dict[str, list[np.ndarray]] = {k: [] for k in onnx}
    t_onnx = {k: 0.0 for k in onnx}

    # Interleave the runs in chunks of 8 frames so that load changes on a shared machine hit all alike.
    # Every chunk takes kp_driving_initial from frame 0, so the outputs equal one run over the whole clip;
    # each chunk costs every run one extra kp-detector call for it.
    ref: list[torch.Tensor] = []
    fast: dict[int, list[torch.Tensor]] = {bs: [] for bs in sizes}
    t_ref, t_fast = 0.0, {bs: 0.0 for bs in sizes}
    animator._source = None                      # the timed runs pay for their source-side work once
    chunk = 8
    for start in range(0, len(frames), chunk):
        sync(device)
        t0 = time.perf_counter()
        ref += [p.cpu() for p in reference_animation(kp_detector, generator, src_t, drv_t[start:start + chunk],
                                                     driving_initial=drv_t[0])]
        sync(device)
        t_ref += time.perf_counter() - t0
        for bs in sizes:
            t0 = time.perf_counter()
            fast[bs] += [p.cpu() for p in animator.predictions(source, frames[start:start + chunk], batch_size=bs,
                                                               driving_initial=frames[0])]
            sync(device)
            t_fast[bs] += time.perf_counter() - t0
        for label, runner in onnx.items():
            t0 = time.perf_counter()
            onnx_out[label] += list(runner.predictions(source, frames[start:start + chunk], batch_size=sizes[-1],
                                                       driving_initial=frames[0]))
            t_onnx[label] += time.perf_counter() - t0

    n = args.frames
    want = torch.cat(ref)
    with torch.no_grad():
        # per frame = 2 frames - 1 frame (the first also runs the kp detector for kp_driving_initial)
        g_ref = (gflops(lambda: list(reference_animation(kp_detector, generator, src_t, drv_t[:2])))
                 - gflops(lambda: list(reference_animation(kp_detector, generator, src_t, drv_t[:1]))))
    g_src = gflops(lambda: animator.prepare(np.ascontiguousarray(source[::-1])))
    prepared = animator.prepare(source)
    g_frame = gflops(lambda: list(animator.predictions(prepared, frames[:4], batch_size=4))) / 4
    print(f"original-style loop : {t_ref / n:.3f} s/frame  {n / t_ref:6.2f} frames/s  "
          f"{g_ref:.1f} GFLOP/frame  {g_ref * n / t_ref:6.1f} GFLOP/s")
    for bs in sizes:
        diff = float((torch.cat(fast[bs]) - want).abs().max())
        print(f"FomAnimator bs {bs:<3d}  : {t_fast[bs] / n:.3f} s/frame  {n / t_fast[bs]:6.2f} frames/s  "
              f"{g_frame:.1f} GFLOP/frame + {g_src:.1f} once  {(g_frame * n + g_src) / t_fast[bs]:6.1f} GFLOP/s  "
              f"speed-up {t_ref / t_fast[bs]:.2f}x  max |animator - loop| = {diff:.2e}")
    for label in onnx:
        diff = float(np.abs(np.concatenate(onnx_out[label]) - want.numpy()).max())
        print(f"onnxruntime {label} bs {sizes[-1]:<3d}: {t_onnx[label] / n:.3f} s/frame  {n / t_onnx[label]:6.2f} "
              f"frames/s  speed-up {t_ref / t_onnx[label]:.2f}x  max |onnxruntime - loop| = {diff:.2e}")
    tmp.cleanup()

    if not args.skip_memory:
        peaks = {}
        for count in (args.memory_base, args.memory_frames):
            out = subprocess.run([sys.executable, __file__, "--memory-child", str(count), "--batch-sizes",
                                  str(sizes[-1]), "--device", str(device)],
                                 capture_output=True, text=True, check=True, env=dict(os.environ))
            peaks[count] = json.loads(out.stdout.strip().splitlines()[-1])["peak_bytes"]
        a, b = peaks[args.memory_base], peaks[args.memory_frames]
        what = "max allocated" if device.type == "cuda" else "max RSS"
        print(f"peak memory ({what}, bs {sizes[-1]}): {args.memory_base} frames {a / 2**20:.0f} MiB, "
              f"{args.memory_frames} frames {b / 2**20:.0f} MiB  (+{100 * (b - a) / a:.1f}%)")


if __name__ == "__main__":
    main()
