"""SDA speed and memory: modules.sda vs a baseline written like the original `SdaModel.__call__`.

GRID-size model (reconstructed meta values: 128x96, 40 kHz, 25 fps, 0.2 s windows; 55.3 M parameters) with
seeded random weights whose BatchNorm statistics are calibrated on a short clip so activations stay in
range (otherwise tanh saturates and the comparison says nothing). Input: the fixtures' espeak-ng speech,
tiled to the wanted length, at 22050 Hz (so the resampling branch runs).

    python benchmarks/sda.py                 # 10 s timing vs baseline, then peak memory for 10 s and 60 s
    python benchmarks/sda.py --seconds 4 --long 0 --threads 2

Timing: baseline, exact and fast=True paths, alternating, best of --repeats after a short warm-up;
same process, same weights and noise; outputs compared.
Memory: each length in a fresh subprocess; peak resident memory above the process's state right after
the model is built (Linux VmHWM, reset through /proc/self/clear_refs), printed with the size of the
returned video so the working memory beyond the result is visible.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from modules.sda import SdaMeta, SdaNetworks, SdaModel  # noqa: E402
from modules.sda.inputs import frame_tensor  # noqa: E402

FIXTURES = REPO.parent / "shared" / "fixtures" / "sda"
GRID = dict(img_size=(128, 96), audio_rate=40000, video_rate=25, audio_feat_len=0.2, audio_feat_samples=8000,
            id_enc_dim=128, rnn_gen_dim=256, aud_enc_dim=256, aux_latent=10, sequential_noise=True)
RATE = 22050


def inputs(seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """(aligned 128x96 face, int16 speech at 22050 Hz of `seconds`)."""
    import skimage.data
    from PIL import Image
    with np.load(FIXTURES / "case-tiny.npz") as npz:
        clip = npz["audio"]
    n = int(seconds * RATE)
    audio = np.tile(np.concatenate([clip, np.zeros(RATE // 4, np.int16)]), n // (len(clip) + RATE // 4) + 1)[:n]
    face = np.asarray(Image.fromarray(skimage.data.astronaut()[10:250, 110:290]).resize((96, 128), Image.BILINEAR))
    return face, audio


def grid_animator(seed: int = 0) -> SdaModel:
    """GRID-size SdaModel with random weights and BatchNorm statistics calibrated on 1 s of speech."""
    torch.manual_seed(seed)
    meta = SdaMeta(mean_face=np.zeros((68, 2), np.float32), **GRID)
    nets = SdaNetworks(meta)
    with torch.no_grad():
        for m in nets.modules():             # keep signals O(1): N(0, 1/fan_in) weights
            if isinstance(m, torch.nn.ConvTranspose2d):   # [in, out, kh, kw]; each output sees 1/stride^2 taps
                fan_in = m.weight.shape[0] * m.weight[0, 0].numel() / (m.stride[0] * m.stride[1])
                m.weight.normal_(0, 1.0 / np.sqrt(fan_in))
            elif isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d)):
                m.weight.normal_(0, 1.0 / np.sqrt(m.weight[0].numel()))
        nets.generator.dcl[-1].weight.mul_(0.5)            # final tanh: stay mostly unsaturated
    va = SdaModel.from_state(meta, {k: getattr(nets, k).state_dict() for k in ("encoder", "encoder_id",
                                                                                    "generator")}, device="cpu")
    for m in va.nets.modules():              # calibrate BatchNorm: cumulative batch statistics, then eval
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    face, audio = inputs(1.0)
    va.nets.train()
    va(face, audio, fs=RATE, aligned=True, noise=1)
    va.nets.eval()
    with torch.no_grad():                    # BN weight/bias random too, like a trained model's
        for m in va.nets.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return va


# ---- the baseline: the original __call__'s algorithm, restated on the same networks ----------------------
def _cut_like_original(seq, window, stride, pad):
    seq = torch.cat((torch.zeros(pad // 2, 1), seq), 0)
    seq = torch.cat((seq, torch.zeros(pad - pad // 2, 1)), 0)
    stacked = seq.narrow(0, 0, window).unsqueeze(0)
    for i in range(1, (seq.size(0) - window) // stride + 1):
        stacked = torch.cat((stacked, seq.narrow(0, i * stride, window).unsqueeze(0)))
    return stacked


def _broadcast_like_original(batch, repeat):
    return torch.stack([torch.stack(repeat * [batch[i]]) for i in range(batch.size(0))])


@torch.no_grad()
def baseline_call(va: SdaModel, frame, audio, fs, noise):
    from scipy import signal
    m = va.meta
    speech = torch.from_numpy(signal.resample(audio, int(audio.shape[0] * m.audio_rate / float(fs)))
                              / float(np.iinfo(audio.dtype).max)).float().view(-1, 1)
    frame_t = frame_tensor(frame, m.img_size)
    stride = int(m.audio_rate / float(m.video_rate))
    seq = _cut_like_original(speech, m.audio_feat_samples, stride, m.audio_feat_samples - stride).unsqueeze(0)
    t = seq.size(1)
    enc = va.nets.encoder
    x = enc.encoder(seq.view(-1, 1, m.audio_feat_samples)).view(-1, t, m.aud_enc_dim)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, [t], batch_first=True)
    z = torch.nn.utils.rnn.pad_packed_sequence(enc.rnn(packed)[0], batch_first=True)[0].contiguous()
    z_id, skips = va.nets.encoder_id(frame_t)
    skips = [_broadcast_like_original(s, t) for s in skips][::-1]
    z_id = _broadcast_like_original(z_id, t)
    gen = va.nets.generator
    aux = torch.tanh(gen.rnn_noise(noise)[0])
    x = torch.cat([torch.cat([z, aux], 2), z_id], 2).view(-1, gen.total_latent, 1, 1)
    x = gen.dcl[0](x)
    for i, block in enumerate(gen.dcl[1:-1]):
        x = torch.cat([x, skips[i].view(x.size())], 1)
        x = block.activation1(block.dcl1(x))
        h, w = x.shape[-2:]
        x = block.activation2(block.dcl2(x, output_size=[-1, block.dcl2.out_channels, 2 * h, 2 * w]))
    x = torch.tanh(gen.dcl[-1](x, output_size=[-1, 3, *m.img_size]))
    video = 125 * x.squeeze().numpy() + 125
    return video, ((2 ** 15) * speech.numpy()).astype(np.int16)


# ---- memory child ------------------------------------------------------------------------------------
def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def memory_child(which: str, seconds: float, threads: int) -> None:
    torch.set_num_threads(threads)
    va = grid_animator()
    face, audio = inputs(seconds)
    noise = torch.empty(1, int(seconds * 25) + 2, va.aux_latent).normal_(0, 0.33)
    n = va.n_frames(va.speech(audio, RATE).shape[0])
    Path("/proc/self/clear_refs").write_text("5")          # reset the peak-RSS mark
    before = _rss_kb("VmRSS")
    t0 = time.perf_counter()
    if which == "ours":
        video, _ = va(face, audio, fs=RATE, aligned=True, noise=noise[:, :n])
    else:
        video, _ = baseline_call(va, face, audio, RATE, noise[:, :n])
    elapsed = time.perf_counter() - t0
    peak = _rss_kb("VmHWM")
    print(json.dumps({"which": which, "seconds": seconds, "frames": int(video.shape[0]), "elapsed_s": elapsed,
                      "peak_above_model_mb": (peak - before) / 1024, "video_mb": video.nbytes / 2 ** 20}))


def run_child(which: str, seconds: float, threads: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", which, "--seconds", str(seconds),
                          "--threads", str(threads)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--long", type=float, default=60.0, help="second length for the memory comparison (0: skip)")
    ap.add_argument("--repeats", type=int, default=3, help="timing runs of each path (best is reported)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--baseline-memory", action="store_true",
                    help="also measure the baseline's peak memory (at --seconds only)")
    ap.add_argument("--child", choices=["ours", "baseline"])
    args = ap.parse_args()
    if args.child:
        memory_child(args.child, args.seconds, args.threads)
        return
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    va = grid_animator()
    print(f"GRID-size model built in {time.perf_counter() - t0:.1f} s "
          f"({sum(p.numel() for p in va.nets.parameters()) / 1e6:.1f} M parameters), {args.threads} threads")
    face, audio = inputs(args.seconds)
    n = va.n_frames(va.speech(audio, RATE).shape[0])
    noise = torch.empty(1, n, va.aux_latent).normal_(0, 0.33, generator=torch.Generator().manual_seed(5))
    warm_face, warm_audio = inputs(0.5)
    va(warm_face, warm_audio, fs=RATE, aligned=True, noise=0)
    baseline_call(va, warm_face, warm_audio, RATE, torch.zeros(1, va.n_frames(20000), va.aux_latent))

    t_base, t_ours, t_fast = [], [], []
    for _ in range(args.repeats):                    # alternate, keep the best: the machine is shared
        t0 = time.perf_counter()
        base_video, base_audio = baseline_call(va, face, audio, RATE, noise)
        t_base.append(time.perf_counter() - t0)
        va.fast = False
        t0 = time.perf_counter()
        video, audio_out = va(face, audio, fs=RATE, aligned=True, noise=noise)
        t_ours.append(time.perf_counter() - t0)
        va.fast = True
        t0 = time.perf_counter()
        fast_video, _ = va(face, audio, fs=RATE, aligned=True, noise=noise)
        t_fast.append(time.perf_counter() - t0)
        va.fast = False
    t_base, t_ours, t_fast = min(t_base), min(t_ours), min(t_fast)
    diff = float(np.abs(video - base_video).max())
    print(f"{args.seconds:g} s of audio -> {n} frames 128x96")
    print(f"  best of {args.repeats} alternating runs each")
    print(f"  baseline (original algorithm): {t_base:7.2f} s")
    print(f"  modules.sda:                   {t_ours:7.2f} s   ratio baseline/ours = {t_base / t_ours:.2f}x")
    print(f"  modules.sda fast=True:         {t_fast:7.2f} s   ratio baseline/fast = {t_base / t_fast:.2f}x   "
          f"(video max |diff| vs exact {float(np.abs(fast_video - video).max()):.2e})")
    print(f"  video max |diff| = {diff:.2e} (0..250 scale; range {video.min():.1f}..{video.max():.1f}, "
          f"per-pixel temporal std {video.std(0).mean():.2f}); returned audio equal: "
          f"{bool(np.array_equal(audio_out, base_audio))}")
    if args.long:
        rows = [run_child("ours", s, args.threads) for s in (args.seconds, args.long)]
        if args.baseline_memory:
            rows.append(run_child("baseline", args.seconds, args.threads))   # 60 s would need several GB
        print("peak resident memory above the loaded model (fresh process each):")
        for r in rows:
            peak, video_mb = r["peak_above_model_mb"], r["video_mb"]
            print(f"  {r['which']:8s} {r['seconds']:5g} s ({r['frames']:5d} frames): {peak:8.1f} MB "
                  f"(returned video itself {video_mb:.1f} MB, so {peak - video_mb:.1f} MB working memory), "
                  f"{r['elapsed_s']:.1f} s")


if __name__ == "__main__":
    main()
