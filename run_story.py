#!/usr/bin/env python3
"""Deepstory command line; see `python run_story.py --help`."""
import sys

from deepstory.cli import main

if __name__ == "__main__":
    sys.exit(main())
