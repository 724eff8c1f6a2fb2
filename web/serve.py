"""`python run_story.py serve`: the web studio's command line."""
from __future__ import annotations

from pathlib import Path

from deepstory.cli import Parser

from .app import create_app
from .security import LOOPBACK_HOSTS


def serve(argv: list[str]) -> int:
    """`run_story.py serve`: the studio on loopback (see README, "Web studio")."""
    p = Parser(prog="run_story.py serve", description="Run the Deepstory web studio.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="a host name the studio is reached under besides loopback (repeatable); requests with "
                        "any other Host header are refused (DNS rebinding)")
    p.add_argument("--data", metavar="DIR", help="stories, uploads and renders (default export/web)")
    p.add_argument("--cache", metavar="DIR", help="stage cache folder (default export/.cache)")
    p.add_argument("--jobs", type=int, metavar="N", help="render each story's clips in N local worker processes")
    p.add_argument("--ray", metavar="ADDRESS", help="render clips on a Ray cluster ('auto', ray://HOST:10001, 'local')")
    args = p.parse_args(argv)
    hosts = [*LOOPBACK_HOSTS, *args.allow_host]
    if args.host not in ("0.0.0.0", "::"):
        hosts.append(args.host)
    config = {"ALLOWED_HOSTS": hosts}
    if args.ray:
        config["RENDER_EXECUTOR"] = f"ray:{args.ray}"
    elif args.jobs and args.jobs > 1:
        config["RENDER_EXECUTOR"] = f"processes:{args.jobs}"
    if args.data:
        config["DATA_DIR"] = str(Path(args.data).resolve())
    if args.cache:
        config["CACHE_DIR"] = str(Path(args.cache).resolve())
    create_app(config).run(host=args.host, port=args.port, threaded=True)
    return 0
