"""Server-generated ids: the only strings from a request that ever name a file, after a strict check."""
from __future__ import annotations

import re
import secrets

_ID = re.compile(r"[a-z][0-9a-f]{12}")
PREFIX = {"story": "s", "render": "r", "portrait": "u"}


def new_id(kind: str) -> str:
    return PREFIX[kind] + secrets.token_hex(6)


def is_id(value: object, kind: str) -> bool:
    """True for an id this server could have made for `kind` (never a path, never '..')."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None and value[0] == PREFIX[kind]
