"""Command line: render a story, lip-sync a recording, list voices, serve the web studio."""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Callable
from pathlib import Path


from .errors import DeepstoryError, USER_ERRORS
from .settings import PATHS, FomSettings, SdaSettings

USAGE = """\
python run_story.py STORY.md [-o OUT_DIR] [--animator builtin|fom|still] [--check-speech] [--quiet]
                            [--jobs [N] | --ray auto|ADDRESS|local]
                            [--fom-config YAML --fom-checkpoint FILE --sda-checkpoint FILE]
       python run_story.py animate --portrait IMAGE --audio AUDIO -o OUT.mp4 [--transcript TEXT_FILE]
       python run_story.py animate --portrait IMAGE --driving VIDEO -o OUT.mp4 [--animator builtin|fom] ...
       python run_story.py serve [--host 127.0.0.1] [--port 5000]
       python run_story.py voices
       python run_story.py fom train|reconstruct|export ..."""
COMMANDS = ("animate", "voices", "fom")


def _render_parser() -> argparse.ArgumentParser:
    p = Parser(prog="run_story.py", usage=USAGE,
                                description="Render a story script into a narrated talking-head MP4 "
                                            "with subtitles (see data/stories/demo.md for the format).")
    p.add_argument("story", help="story file (Markdown-ish text with optional YAML front matter)")
    p.add_argument("-o", "--out", metavar="OUT_DIR", help="output folder (default: export/<story name>/)")
    p.add_argument("--animator", choices=("builtin", "fom", "still"),
                   help="override the story's animator (default: the story's, else builtin)")
    p.add_argument("--fom-config", metavar="YAML", help="FOM config (default: data/fom/vox-256.yaml)")
    p.add_argument("--fom-checkpoint", metavar="FILE", help="FOM checkpoint (default: data/checkpoints/vox-cpk.pth.tar)")
    p.add_argument("--sda-checkpoint", metavar="FILE", help="SDA model (default: data/checkpoints/grid.dat)")
    p.add_argument("--cache", metavar="DIR", help="stage cache folder (default: export/.cache)")
    p.add_argument("--jobs", nargs="?", type=int, const=0, metavar="N",
                   help="render clips in N local worker processes (no N: one per CPU core; default: this process)")
    p.add_argument("--ray", metavar="ADDRESS", help="render clips on a Ray cluster: 'auto' (the running one), "
                                                    "ray://HOST:10001, or 'local' (start one here)")
    p.add_argument("--check-speech", action="store_true",
                   help="transcribe every spoken line and list those the recogniser hears differently")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summary; print only the video path")
    return p


def _render(argv: list[str]) -> int:
    from .pipeline import default_cache_dir, render_story
    from .progress import Reporter, TqdmReporter
    from .story import load_story
    args = _render_parser().parse_args(argv)
    story = load_story(args.story)
    # command-line model paths override the front matter's; relative to where the command runs
    given = {"config": args.fom_config, "checkpoint": args.fom_checkpoint}
    story.fom = replace(story.fom, **{k: str(Path(v).resolve()) for k, v in given.items() if v})
    if args.sda_checkpoint:
        story.sda = replace(story.sda, checkpoint=str(Path(args.sda_checkpoint).resolve()))
    out = Path(args.out) if args.out else Path("export") / story.name
    if args.jobs is not None and args.jobs < 0:
        raise DeepstoryError("--jobs must be 1 or more (or given alone: one per CPU core)")
    from .executors import make_executor
    from .process_executor import cpu_count
    executor = make_executor(jobs=(args.jobs or cpu_count()) if args.jobs is not None else None, ray=args.ray)
    reporter = Reporter() if args.quiet else TqdmReporter()
    try:
        result = render_story(story, out, cache_dir=Path(args.cache) if args.cache else default_cache_dir(),
                              reporter=reporter, animator=args.animator, check_speech=args.check_speech,
                              executor=executor)
    finally:
        reporter.close()            # so an error prints on its own line, not inside a progress bar
    if not args.quiet:
        for line in result.summary:
            print(line, file=sys.stderr)
        print(f"{result.duration:.1f} s of story, {result.frames} frames; subtitles {result.srt.name}, "
              f"{result.vtt.name}; timeline {result.timeline.name}", file=sys.stderr)
    if result.speech_check is not None:
        if result.speech_check:
            print(f"speech check: {len(result.speech_check)} line(s) may be misspoken:", file=sys.stderr)
            for p in result.speech_check:
                print(f"  line {p['line']} ({p['speaker']}): wrote {p['text']!r}, heard {p['heard']!r}",
                      file=sys.stderr)
        else:
            print("speech check: every line was heard as written", file=sys.stderr)
    print(result.video)
    return 0


def _animate_parser() -> argparse.ArgumentParser:
    p = Parser(prog="run_story.py animate",
               description="Animate a portrait: lip-synced to a recording (--audio), or moved like a driving "
                           "video of a face (--driving; with --animator fom this is first-order-model's demo.py).")
    p.add_argument("--portrait", required=True, help="image with a face")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--audio", help="speech recording (wav, mp3, flac, m4a, ... mono or stereo)")
    what.add_argument("--driving", metavar="VIDEO", help="video of a face whose motion the portrait copies")
    p.add_argument("-o", "--out", required=True, help="output .mp4")
    p.add_argument("--animator", choices=("builtin", "fom", "still"), default="builtin",
                   help="builtin (default, no download), fom (your FOM checkpoint) or still (--audio only)")
    p.add_argument("--max-side", type=int, default=1024, help="longest side of the output (default 1024)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-q", "--quiet", action="store_true")
    rec = p.add_argument_group("with --audio")
    rec.add_argument("--transcript", metavar="TEXT_FILE", help="what the recording says: aligned to it instead of "
                                                                 "the recogniser's words (subtitles use its text)")
    rec.add_argument("--no-transcribe", action="store_true",
                     help="no recognition: the mouth follows the audio envelope, no subtitles")
    rec.add_argument("--sda-checkpoint", metavar="FILE", help="SDA model for --animator fom "
                                                               "(default: data/checkpoints/grid.dat)")
    drv = p.add_argument_group("with --driving")
    mode = drv.add_mutually_exclusive_group()
    mode.add_argument("--relative", dest="relative", action="store_true", default=None,
                      help="move the portrait's keypoints by the driver's motion since the first (or best) "
                           "frame (default for builtin)")
    mode.add_argument("--absolute", dest="relative", action="store_false",
                      help="use the driver's keypoints as they are (demo.py's default, so fom's default)")
    drv.add_argument("--adapt-scale", action="store_true",
                     help="scale the motion by the ratio of the face sizes (demo.py --adapt_scale)")
    best = drv.add_mutually_exclusive_group()
    best.add_argument("--find-best-frame", action="store_true",
                      help="start from the driver frame whose face is most like the portrait's")
    best.add_argument("--best-frame", type=int, metavar="N", help="start from driver frame N (0-based)")
    drv.add_argument("--crop", choices=("face", "none"), default="face",
                     help="face (default): follow the faces and paste back into the full portrait; "
                          "none: resize both whole images to the model size, as demo.py")
    audio = drv.add_mutually_exclusive_group()
    audio.add_argument("--keep-audio", dest="keep_audio", action="store_true", default=True,
                       help="copy the driver's audio into the output (default)")
    audio.add_argument("--no-audio", dest="keep_audio", action="store_false", help="silent output")
    fom = p.add_argument_group("with --animator fom")
    fom.add_argument("--fom-config", metavar="YAML", help="FOM config (default: data/fom/vox-256.yaml)")
    fom.add_argument("--fom-checkpoint", metavar="FILE",
                     help="FOM checkpoint (default: data/checkpoints/vox-cpk.pth.tar)")
    fom.add_argument("--batch-size", type=int, metavar="N", help="frames per batch (default: 2 on CPU, 8 on GPU)")
    fom.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    fom.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch",
                     help="run the model with torch (config + checkpoint, default) or onnxruntime (--onnx-dir)")
    fom.add_argument("--onnx-dir", metavar="DIR", help="the folder `run_story.py fom export --out DIR` wrote")
    return p


def _check_animate_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.audio is not None:
        for flag, value in (("--relative/--absolute", args.relative), ("--best-frame", args.best_frame)):
            if value is not None:
                p.error(f"{flag} goes with --driving, not --audio")
        if args.adapt_scale or args.find_best_frame or not args.keep_audio or args.crop != "face":
            p.error("--adapt-scale, --find-best-frame, --no-audio and --crop go with --driving, not --audio")
    else:
        if args.animator == "still":
            p.error("--animator still takes --audio, not --driving")
        if args.transcript or args.no_transcribe or args.sda_checkpoint:
            p.error("--transcript, --no-transcribe and --sda-checkpoint go with --audio, not --driving")
    if args.animator != "fom" and (args.fom_config or args.fom_checkpoint or args.batch_size is not None
                                   or args.device or args.backend != "torch" or args.onnx_dir):
        p.error("--fom-config, --fom-checkpoint, --batch-size, --device, --backend and --onnx-dir need --animator fom")
    if (args.backend == "onnxruntime") != bool(args.onnx_dir):
        p.error("--backend onnxruntime and --onnx-dir DIR go together")
    if args.batch_size is not None and not 1 <= args.batch_size <= 256:
        p.error("--batch-size must be between 1 and 256")
    if args.max_side < 64:
        p.error("--max-side must be at least 64")


def _fom_settings(args: argparse.Namespace) -> FomSettings:
    """The typed `fom:` settings the animate options give (paths resolved where the command runs)."""
    given = {"config": args.fom_config, "checkpoint": args.fom_checkpoint, "onnx_dir": args.onnx_dir}
    return FomSettings(backend=args.backend, **{k: str(Path(v).resolve()) for k, v in given.items() if v})


def _animate(argv: list[str]) -> int:
    p = _animate_parser()
    args = p.parse_args(argv)
    _check_animate_args(p, args)
    if args.driving is not None:
        out = _animate_driving(args)
    else:
        from .recording import animate_recording
        sda = SdaSettings(checkpoint=str(Path(args.sda_checkpoint).resolve())) if args.sda_checkpoint else None
        out = animate_recording(Path(args.portrait), Path(args.audio), Path(args.out), animator=args.animator,
                                max_side=args.max_side, seed=args.seed, progress=not args.quiet,
                                transcribe=not args.no_transcribe,
                                transcript=Path(args.transcript) if args.transcript else None,
                                fom=_fom_settings(args), sda=sda,
                                device=args.device, batch_size=args.batch_size)
    print(out)
    return 0


def _animate_driving(args: argparse.Namespace) -> Path:
    relative = args.relative
    if args.animator == "builtin":
        from .reenact import reenact_video           # weights-free reenactment (deepstory/reenact.py)
        return reenact_video(Path(args.portrait), Path(args.driving), Path(args.out),
                             relative=True if relative is None else relative, adapt_scale=args.adapt_scale,
                             best_frame=args.best_frame, find_best_frame=args.find_best_frame,
                             keep_audio=args.keep_audio, max_side=args.max_side,
                             progress=not args.quiet)
    from .engines import make_fom_engine
    from .fom_driving import DrivingSettings, animate_driving
    settings = DrivingSettings(relative=bool(relative), adapt_scale=args.adapt_scale,
                               find_best_frame=args.find_best_frame, best_frame=args.best_frame,
                               crop=args.crop, keep_audio=args.keep_audio)
    engine = make_fom_engine(_fom_settings(args), max_side=args.max_side, device=args.device,
                             batch_size=args.batch_size)
    return animate_driving(Path(args.portrait), Path(args.driving), Path(args.out), settings, engine=engine,
                           progress=not args.quiet)


def _voices(argv: list[str]) -> int:
    from .voices import list_voices
    Parser(prog="run_story.py voices", description="List the voice specs usable here.").parse_args(argv)
    for spec in list_voices(PATHS.data):
        print(spec)
    return 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake as one `error:` line (exit 2), not usage + message."""

    def error(self, message: str) -> None:
        raise DeepstoryError(f"{message} (see {self.prog} --help)")


def run(command: Callable[[list[str]], int], argv: list[str]) -> int:
    """Run a command the way users see every command: errors as one `error:` line, exit 2."""
    try:
        return command(argv)
    except USER_ERRORS as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:          # the file system said no (name too long, not a folder, disk full, ...)
        where = f" ({str(exc.filename)[:120]})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished clips are cached and will be reused next time", file=sys.stderr)
        return 130


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in COMMANDS:
        from .fom_cli import fom_main
        return {"animate": _animate, "voices": _voices, "fom": fom_main}[argv[0]](argv[1:])
    if argv and argv[0] == "serve":        # the studio lives in web/, which imports deepstory, not the reverse
        raise DeepstoryError("start the web studio with: python run_story.py serve")
    return _render(argv)


def main(argv: list[str] | None = None) -> int:
    return run(_dispatch, list(sys.argv[1:] if argv is None else argv))
