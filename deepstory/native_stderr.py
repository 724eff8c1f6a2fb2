"""Silencing the warnings native libraries write straight to file descriptor 2 (libpng's "iCCP: known
incorrect sRGB profile", OpenCV's and MediaPipe's own logging), which Python's sys.stderr cannot catch: a
user should see one clear line, not a library's chatter. Whatever else is written meanwhile is passed on."""
from __future__ import annotations

import os
import tempfile
import threading
from contextlib import contextmanager
from typing import Iterator

_LOCK = threading.Lock()
_CHATTER = (b"libpng warning", b"[ WARN:", b"W0000 ", b"I0000 ", b"INFO: Created TensorFlow Lite",
            b"WARNING: All log messages before absl")


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    with _LOCK, tempfile.TemporaryFile() as sink:
        try:
            saved = os.dup(2)
        except OSError:              # no fd 2 (a daemon): nothing to silence
            yield
            return
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            kept = [ln for ln in sink.read().splitlines(keepends=True) if not ln.startswith(_CHATTER)]
            if kept:
                os.write(2, b"".join(kept))
