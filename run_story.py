#!/usr/bin/env python3
"""Deepstory command line; see `python run_story.py --help`."""
import sys

from deepstory.cli import main, run

if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:             # the studio: web imports deepstory, never the reverse
        from web.serve import serve
        sys.exit(run(serve, sys.argv[2:]))
    sys.exit(main())
