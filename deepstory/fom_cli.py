"""`run_story.py fom train|reconstruct|export`: the classic First Order Motion Model jobs."""
from __future__ import annotations

from importlib import import_module

from .errors import DeepstoryError

# sub-command -> "module:function"; each function takes argv (after the sub-command) and returns an exit code
SUBCOMMANDS = {
    "train": "deepstory.fom_train:train_main",
    "reconstruct": "deepstory.fom_train:reconstruct_main",
    "export": "deepstory.fom_export:export_main",
}


def fom_main(argv: list[str]) -> int:
    if not argv or argv[0] not in SUBCOMMANDS:
        raise DeepstoryError(f"usage: run_story.py fom {{{'|'.join(SUBCOMMANDS)}}} ... "
                             f"(see run_story.py fom <command> --help)")
    module, function = SUBCOMMANDS[argv[0]].split(":")
    return getattr(import_module(module), function)(argv[1:])
