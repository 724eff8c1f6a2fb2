"""DCTTS synthesis speed: our loop vs a loop written like the original, same run, same weights.

A full Deepstory-size voice (Text2Mel d=512 + SSRN c=640, ~137 M parameters) with seeded random weights
speaks one sentence of about 5 s. The baseline re-runs the whole Text2Mel (text encoder included) on the
whole mel every step, as Deepstory's voice.py does; ours encodes the text once and decodes frame by frame.
Both feed the same SSRN + Griffin-Lim. Prints seconds, the speed-up, the outputs' differences and the
real-time factor (synthesis seconds / audio seconds; < 1 is faster than real time).

    python benchmarks/dctts.py [--device cuda] [--threads N] [--steps 110]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modules.checkpoint import pick_device  # noqa: E402
from modules.tts.dctts import DEEPSTORY, DcttsModel  # noqa: E402
from modules.tts.dctts.audio import normalize_loudness, spectrogram_to_wav  # noqa: E402
from modules.tts.dctts.ssrn import SSRN  # noqa: E402
from modules.tts.dctts.synthesis import generate_mel, generate_mel_reference  # noqa: E402
from modules.tts.dctts.text2mel import Text2Mel  # noqa: E402

TEXT = "The witcher walked slowly through the quiet village, watching the old well and the dark woods."


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _timed(fn, device):
    _sync(device)
    start = time.perf_counter()
    out = fn()
    _sync(device)
    return out, time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--steps", type=int, default=110, help="step cap (random weights rarely stop on EOS early)")
    p.add_argument("--text", default=TEXT)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    hp = DEEPSTORY
    torch.manual_seed(0)
    text2mel, ssrn = Text2Mel(hp).to(device).eval(), SSRN(hp).to(device).eval()
    n_params = sum(p.numel() for m in (text2mel, ssrn) for p in m.parameters())
    voice = DcttsModel(text2mel, ssrn, hp, device, name="random")
    ids = torch.tensor([voice.text_to_ids(args.text)], device=device)
    print(f"device {device}, torch threads {torch.get_num_threads()}, {n_params / 1e6:.1f} M parameters, "
          f"{ids.shape[1]} tokens, step cap {args.steps}")

    voice.synthesize("Warm up.", max_steps=4)            # first-call allocations, kernels
    generate_mel_reference(text2mel, ids[:, :8], cap=4)

    # Ours, as the pipeline calls it.
    (audio, rate, info), t_ours = _timed(lambda: voice.synthesize(args.text, args.steps, True), device)
    mel_fast, t_loop_fast = _timed(lambda: generate_mel(text2mel, ids, args.steps), device)

    # Like the original: whole Text2Mel every step, then the same SSRN + Griffin-Lim.
    loop_seconds = {}

    def original():
        result, loop_seconds["original"] = _timed(lambda: generate_mel_reference(text2mel, ids, args.steps), device)
        with torch.inference_mode():
            _, mag = ssrn(result.mel)
        stages = spectrogram_to_wav(mag[0].T.float().cpu().numpy(), hp, device)
        return result, normalize_loudness(stages["wav_int16"]).astype(np.float32) / 32768
    (ref, ref_audio), t_orig = _timed(original, device)
    mel_slow, t_loop_slow = ref, loop_seconds["original"]

    seconds = len(audio) / rate
    same_len = len(ref_audio) == len(audio)
    lsb = float(np.abs(ref_audio - audio).max()) * 32768 if same_len else None
    audio_diff = f", audio max|diff| {lsb:.0f} LSB of int16" if same_len else ""
    print(f"steps {info['steps']} (stopped on EOS: {info['stopped_on_eos']}), audio {seconds:.2f} s at {rate} Hz")
    print(f"Text2Mel loop : original-style {t_loop_slow:7.2f} s | ours {t_loop_fast:6.2f} s "
          f"| speed-up x{t_loop_slow / t_loop_fast:.1f}")
    print(f"whole sentence: original-style {t_orig:7.2f} s | ours {t_ours:6.2f} s "
          f"| speed-up x{t_orig / t_ours:.1f}")
    print(f"real-time factor: ours {t_ours / seconds:.3f}, original-style {t_orig / seconds:.3f}")
    print(f"outputs: same steps {mel_slow.steps == info['steps']}, same attention path "
          f"{mel_slow.attention_argmax == info['attention_argmax'].tolist()}, "
          f"mel max|diff| {float((mel_slow.mel - mel_fast.mel).abs().max()):.2e}, "
          f"same length {same_len}{audio_diff}")


if __name__ == "__main__":
    main()
