"""`run_story.py fom train` and `fom reconstruct`: fine-tune / train the First Order Motion Model on your own
videos exactly as the original `train.py` does, and evaluate a checkpoint with the original reconstruction
metric (mean L1 between each frame and its reconstruction from frame 0).

A run folder (`--out`) holds: `log.txt` (every loss of every iteration), `run.json` (the target epoch, for
--resume), `NNNNNNNN-checkpoint.pth.tar` (the original Logger.save_cpk layout; NNNNNNNN = epochs completed)
and `train-vis/NNNNNNNN-rec.png` (source | driving | prediction | occlusion).
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import numpy as np

from .cli import Parser
from .errors import DeepstoryError, OutputError

CHECKPOINT_RE = re.compile(r"^(\d{8})-checkpoint\.pth\.tar$")


def checkpoint_name(epoch: int) -> str:
    """The original's file name: epoch zero-padded to 8 digits."""
    return f"{epoch:08d}-checkpoint.pth.tar"


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint with the highest epoch in a run folder, or None."""
    if not run_dir.is_dir():
        return None
    found = sorted((int(m.group(1)), p) for p in run_dir.iterdir() if (m := CHECKPOINT_RE.match(p.name)))
    return found[-1][1] if found else None


def _writable_dir(path: Path, what: str) -> Path:
    """Create `path` and prove it takes files; one clear error otherwise."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"cannot write to {what} {path}: {exc.strerror or exc}") from None
    return path


def _train_parser() -> Parser:
    p = Parser(prog="run_story.py fom train",
               description="Train or fine-tune the First Order Motion Model on your own videos (the original "
                           "train.py: perceptual VGG19 pyramid, LSGAN + feature matching, equivariance).")
    p.add_argument("--config", required=True, help="model + train_params YAML (e.g. data/fom/vox-256.yaml)")
    p.add_argument("--data", required=True, metavar="DIR",
                   help="videos (.mp4 .mov .gif, frame folders, concatenated-frames .png), optionally in train/ test/")
    p.add_argument("--checkpoint", help="start from this checkpoint (weights, Adam states, epoch), e.g. vox-cpk.pth.tar")
    p.add_argument("--vgg", metavar="FILE", help="torchvision VGG19 weights (vgg19-dcbb9e9d.pth) for the perceptual loss")
    p.add_argument("--no-perceptual", action="store_true", help="train without the perceptual loss (no VGG19 needed)")
    p.add_argument("--epochs", type=int, help="epochs to train from the checkpoint's epoch (default: up to the "
                                              "config's num_epochs, as the original)")
    p.add_argument("--batch-size", type=int, help="override train_params.batch_size")
    p.add_argument("--repeats", type=int, help="override train_params.num_repeats (dataset repetitions per epoch)")
    p.add_argument("--out", help="run folder (default: runs/<data folder name>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda when present)")
    p.add_argument("--seed", type=int, default=0, help="seed of frame sampling, augmentation and TPS draws")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return p


def _check_device(device: str | None) -> None:
    """A clear error for a device this machine does not have (torch's own is a long traceback)."""
    if device is None:
        return
    import torch
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise DeepstoryError(f"--device {device}: not a device name (use cpu, cuda, cuda:1 ...)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DeepstoryError(f"--device {device}: CUDA is not available on this machine (use --device cpu)")


def _positive(value: int | None, name: str) -> None:
    if value is not None and value < 1:
        raise DeepstoryError(f"{name} must be at least 1, got {value}")


def train_main(argv: list[str]) -> int:
    import torch

    from modules.fom.config import load_config
    from modules.fom.training import FomTraining, parse_train_params

    from .fom_dataset import AugmentParams, PairDataset, split_folders
    from .fom_visual import save_picture, training_picture

    args = _train_parser().parse_args(argv)
    for value, name in ((args.epochs, "--epochs"), (args.batch_size, "--batch-size"), (args.repeats, "--repeats")):
        _positive(value, name)
    _check_device(args.device)
    config = load_config(args.config)
    params = parse_train_params(config.raw.get("train_params"), source=args.config)   # fail before reading data
    perceptual = params.loss_weights["perceptual"]
    perceptual_on = sum(perceptual if isinstance(perceptual, list) else [perceptual]) != 0
    if perceptual_on and not args.no_perceptual and not args.vgg:
        from modules.fom.vgg import VGG_HINT
        raise DeepstoryError(f"the perceptual loss needs VGG19 weights: pass --vgg FILE with {VGG_HINT}")
    out = Path(args.out) if args.out else Path("runs") / Path(args.data).resolve().name
    checkpoint = Path(args.checkpoint) if args.checkpoint else None
    run_file = out / "run.json"
    end_epoch = None
    if args.resume:
        last = latest_checkpoint(out)
        if last is None:
            raise DeepstoryError(f"--resume: no checkpoint in {out} to continue from")
        checkpoint = last
        if run_file.is_file() and args.epochs is None:
            end_epoch = int(json.loads(run_file.read_text())["end_epoch"])
    _writable_dir(out, "--out")

    batch_size = args.batch_size or params.batch_size
    repeats = args.repeats or params.num_repeats
    frame_hw = (config.frame_shape[0], config.frame_shape[1])
    dataset_params = config.raw.get("dataset_params") or {}
    train_videos, _ = split_folders(args.data)
    dataset = PairDataset(train_videos, frame_hw, id_sampling=bool(dataset_params.get("id_sampling", False)),
                          augment=AugmentParams.from_config(dataset_params), progress=not args.quiet)
    per_epoch = dataset.batches_per_epoch(batch_size, repeats)
    if per_epoch == 0:
        raise DeepstoryError(f"{len(dataset)} training sample(s) per epoch ({len(dataset)} "
                             f"{'identities' if dataset_params.get('id_sampling') else 'videos'} x {repeats} repeats) "
                             f"is less than the batch size {batch_size}: add videos, or lower --batch-size / "
                             "raise --repeats")

    torch.manual_seed(args.seed)
    trainer = FomTraining(config, checkpoint, vgg_state=args.vgg, device=args.device,
                          perceptual=not args.no_perceptual, seed=args.seed)
    start = trainer.epoch
    if end_epoch is None:
        end_epoch = start + args.epochs if args.epochs else params.num_epochs
    if start >= end_epoch:
        raise DeepstoryError(f"nothing to train: the checkpoint is at epoch {start} and the run ends at epoch "
                             f"{end_epoch}; pass --epochs N to train N more epochs")
    run_file.write_text(json.dumps({"end_epoch": end_epoch, "config": str(args.config), "data": str(args.data)}))
    rng = np.random.default_rng([args.seed, start])      # a resumed run does not replay the same pairs
    return _train_loop(trainer, dataset, out, start, end_epoch, batch_size, repeats, rng,
                       checkpoint_freq=params.checkpoint_freq, quiet=args.quiet,
                       kp_size=int((config.raw.get("visualizer_params") or {}).get("kp_size", 5)),
                       picture=(training_picture, save_picture))


def _train_loop(trainer, dataset, out: Path, start: int, end: int, batch_size: int, repeats: int,
                rng: np.random.Generator, *, checkpoint_freq: int, quiet: bool, kp_size: int, picture) -> int:
    import torch
    from tqdm import tqdm

    training_picture, save_picture = picture
    for message in trainer.messages:
        print(message, file=sys.stderr)
    log = open(out / "log.txt", "a", encoding="utf-8")
    last_saved = latest_checkpoint(out)
    try:
        for epoch in range(start, end):
            trainer.set_epoch(epoch)
            sums: dict[str, float] = {}
            count = 0
            bar = tqdm(dataset.batches(batch_size, repeats, rng), total=dataset.batches_per_epoch(batch_size, repeats),
                       desc=f"epoch {epoch + 1}/{end}", unit="it", disable=quiet)
            batch = generated = None
            for batch in bar:
                batch = {k: torch.from_numpy(v) for k, v in batch.items()}
                losses, generated = trainer.step(batch)
                count += 1
                for k, v in losses.items():
                    sums[k] = sums.get(k, 0.0) + v
                log.write(f"epoch {epoch + 1} iter {count}: " + "; ".join(f"{k} - {v:.5f}" for k, v in losses.items())
                          + "\n")
                bar.set_postfix({k: f"{s / count:.3f}" for k, s in sums.items()})
            log.write(f"epoch {epoch + 1} mean: " + "; ".join(f"{k} - {s / count:.5f}" for k, s in sums.items())
                      + "\n")
            log.flush()
            path = out / checkpoint_name(epoch + 1)
            trainer.save_checkpoint(path, epoch + 1)
            save_picture(training_picture(batch, generated, kp_size=kp_size),
                         out / "train-vis" / f"{epoch + 1:08d}-rec.png")
            # Keep the newest checkpoint and every checkpoint_freq-th one (full-size ones are ~700 MB).
            if last_saved is not None and last_saved != path:
                done = int(CHECKPOINT_RE.match(last_saved.name).group(1))
                if done % checkpoint_freq:
                    last_saved.unlink(missing_ok=True)
            last_saved = path
    except KeyboardInterrupt:
        where = f"{last_saved}" if last_saved else "none yet"
        print(f"interrupted; last checkpoint: {where}; continue with --resume", file=sys.stderr)
        return 130
    finally:
        log.close()
    print(last_saved)
    return 0


def _reconstruct_parser() -> Parser:
    p = Parser(prog="run_story.py fom reconstruct",
               description="Reconstruction L1 of a FOM checkpoint (the original reconstruction.py metric): each "
                           "frame is animated from frame 0 and compared with itself.")
    p.add_argument("--config", required=True, help="model YAML (e.g. data/fom/vox-256.yaml)")
    p.add_argument("--checkpoint", required=True, help="FOM checkpoint")
    p.add_argument("videos", nargs="+", metavar="VIDEO_OR_DIR", help="videos, or data folders (their test/ part)")
    p.add_argument("--out", help="also write side-by-side videos (original | reconstruction) into this folder")
    p.add_argument("--fps", type=int, default=25, help="frame rate of the side-by-side videos")
    p.add_argument("--device", help="cpu, cuda ... (default: cuda when present)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def reconstruct_main(argv: list[str]) -> int:
    import torch
    from tqdm import tqdm

    from modules.fom import load_checkpoint, load_config, reconstruct

    from .fom_dataset import FRAME_EXTS, DatasetError, read_video, split_folders
    from .media import encode_clip

    args = _reconstruct_parser().parse_args(argv)
    _check_device(args.device)
    config = load_config(args.config)
    videos: list[Path] = []
    for item in map(Path, args.videos):
        frame_folder = item.is_dir() and any(f.is_file() and f.suffix.lower() in FRAME_EXTS for f in item.iterdir())
        if item.is_dir() and (not frame_folder or (item / "test").is_dir()):
            videos += split_folders(item)[1]          # a data folder: its test/ part (else every video)
        elif item.exists():
            videos.append(item)
        else:
            raise DatasetError(f"video not found: {item}")
    out = _writable_dir(Path(args.out), "--out") if args.out else None
    kp_detector, generator = load_checkpoint(config, args.checkpoint, device=args.device)
    device = next(generator.parameters()).device
    frame_hw = (config.frame_shape[0], config.frame_shape[1])
    losses = []
    for path in tqdm(videos, desc="reconstruct", unit="video", disable=args.quiet):
        frames = read_video(path, frame_hw)
        video = torch.from_numpy(frames).float().div(255).permute(3, 0, 1, 2).unsqueeze(0).to(device)
        predictions, l1 = reconstruct(kp_detector, generator, video)
        losses.append(float(l1.mean()))
        print(f"{path}: L1 {losses[-1]:.5f} ({len(frames)} frames)")
        if out is not None:
            pred = (predictions.clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8)
            side = np.concatenate([frames, pred], axis=2)
            w = side.shape[2] - side.shape[2] % 2     # H.264 wants even sizes
            h = side.shape[1] - side.shape[1] % 2
            encode_clip((f[:h, :w] for f in side), out / f"{path.stem}-reconstruction.mp4", args.fps, (w, h))
    print(f"mean reconstruction L1: {np.mean(losses):.5f} over {len(losses)} video(s)")
    return 0
