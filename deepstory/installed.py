"""Whether optional packages are installed, without importing them."""
from __future__ import annotations

import importlib.util


def installed(*modules: str) -> bool:
    """True when every top-level module can be found (a broken or blocked install counts as missing)."""
    for name in modules:
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True
