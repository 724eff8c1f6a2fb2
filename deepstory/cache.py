"""A content-addressed stage cache on disk.

Each stage result is stored under the SHA-256 of a canonical JSON of exactly its inputs (including the
stage's code version and engine settings). Writes are atomic (temp file + rename), so an interrupted run
never leaves a half-written entry, and the CLI and the web app can share one cache folder.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_array(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(memoryview(a).cast("B"))
    return h.hexdigest()


_identities: dict[tuple[str, int, int], str] = {}


def file_identity(path: str | os.PathLike) -> str:
    """The one identity rule for model files in cache keys: the sha256 of the content (a copy on another
    machine of a cluster gets the same key; a re-saved file with other weights does not), hashed once per
    process per (path, size, mtime)."""
    st = os.stat(path)
    memo = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    if memo not in _identities:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _identities[memo] = h.hexdigest()
    return _identities[memo]


def image_digest(image: np.ndarray) -> str:
    """The one digest of an image's pixels (dtype, shape and bytes) used in cache keys."""
    return digest_array(image)


def stage_key(stage: str, inputs: dict[str, Any]) -> str:
    """The cache key of one stage run: a hash of its name and canonical JSON inputs."""
    blob = json.dumps({"stage": stage, **inputs}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


_UMASK = os.umask(0)
os.umask(_UMASK)


_HOST = "".join(c for c in socket.gethostname() if c.isalnum() or c == "-")[:40] or "host"
_TEMP = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9-]+)~(?P<pid>\d+)~[^.]*\.part(\.\w+)?$")


def temp_prefix(name: str) -> str:
    """Prefix of a temp file or folder for `name`: names this host and process, so a later run can tell
    the leftovers of a writer that died (kill -9) from the files of one still running."""
    return f".{name}.{_HOST}~{os.getpid()}~"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_temp(folder: Path, *, recursive: bool = False) -> int:
    """Delete temp files and folders left in `folder` by writers on this host that have died; returns
    how many. Those of live processes (another render sharing the folder) are left alone."""
    if not folder.is_dir():
        return 0
    removed = 0
    for p in (folder.rglob(".*~*~*") if recursive else folder.glob(".*~*~*")):
        m = _TEMP.match(p.name)
        if not m or m["host"] != _HOST or _pid_alive(int(m["pid"])):
            continue
        try:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp_path)` then rename the temp file to `path` (same folder, so the rename is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=".part" + path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)        # mkstemp makes 0600; outputs get the usual permissions
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


SEAL_EXT = ".seal"           # beside each entry: "<sha256> <length>" of the entry's bytes


def _file_digest(path: Path) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


class StageCache:
    """Stage results on disk, each entry sealed with the digest and length of its bytes.

    An entry counts only when its seal matches: a truncated, flipped, emptied or swapped file (or one
    whose writer died before sealing it) is reported once through `on_damage`, deleted and recomputed,
    never used. Writers go through `save_arrays`/`write`.
    """

    def __init__(self, root: str | Path, on_damage: Callable[[str], None] | None = None):
        self.root = Path(root)
        self.on_damage = on_damage
        self.damaged: list[str] = []                        # "stage/key" of every entry discarded
        self._verified: dict[Path, tuple[int, int]] = {}    # path -> (size, mtime_ns) checked this run

    def path(self, stage: str, key: str, ext: str) -> Path:
        return self.root / stage / key[:2] / f"{key}{ext}"

    def _seal_path(self, entry: Path) -> Path:
        return entry.with_name(entry.name + SEAL_EXT)

    def write(self, stage: str, key: str, ext: str, write: Callable[[Path], None]) -> Path:
        """Write an entry with `write(tmp_path)`: its seal is written before the entry is renamed into
        place, so a reader never finds a finished entry without its seal (and never discards one)."""
        entry = self.path(stage, key, ext)

        def write_and_seal(tmp: Path) -> None:
            write(tmp)
            digest, length = _file_digest(tmp)
            atomic_write_text(self._seal_path(entry), f"{digest} {length}\n")

        atomic_write(entry, write_and_seal)
        st = entry.stat()
        self._verified[entry] = (st.st_size, st.st_mtime_ns)
        return entry

    def _discard(self, stage: str, key: str, entry: Path, why: str) -> None:
        for p in (entry, self._seal_path(entry)):
            try:
                p.unlink()
            except FileNotFoundError:
                pass
        self._verified.pop(entry, None)
        self.damaged.append(f"{stage}/{key}")
        message = f"cache: {stage} entry {key[:12]} was {why}; discarded, it will be made again"
        if self.on_damage is not None:
            self.on_damage(message)

    def has(self, stage: str, key: str, ext: str) -> bool:
        """Whether a sound entry exists; a damaged one is discarded (and reported) and counts as missing."""
        entry = self.path(stage, key, ext)
        try:
            st = entry.stat()
        except OSError:
            return False
        if self._verified.get(entry) == (st.st_size, st.st_mtime_ns):
            return True
        try:
            digest, length = self._seal_path(entry).read_text(encoding="ascii").split()
            ok = int(length) == st.st_size and _file_digest(entry) == (digest, int(length))
            why = "damaged (its bytes no longer match their seal)"
        except (OSError, ValueError, UnicodeDecodeError):
            ok, why = False, "not sealed (its writer stopped before finishing)"
        if not ok:
            self._discard(stage, key, entry, why)
            return False
        self._verified[entry] = (st.st_size, st.st_mtime_ns)
        return True

    def content_digest(self, stage: str, key: str, ext: str) -> str | None:
        """The sha256 of a sound entry's bytes (from its verified seal), or None when it is missing: keys
        of later stages hash this, so they follow what an entry holds, not how it was named."""
        if not self.has(stage, key, ext):
            return None
        return self._seal_path(self.path(stage, key, ext)).read_text(encoding="ascii").split()[0]

    def load_arrays(self, stage: str, key: str) -> dict[str, np.ndarray] | None:
        if not self.has(stage, key, ".npz"):
            return None
        p = self.path(stage, key, ".npz")
        try:
            with np.load(p, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except Exception:     # noqa: BLE001 - sealed but unreadable (written by a bug): discard, recompute
            self._discard(stage, key, p, "unreadable")
            return None

    def save_arrays(self, stage: str, key: str, **arrays: np.ndarray) -> None:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        data = buf.getvalue()
        self.write(stage, key, ".npz", lambda p: p.write_bytes(data))
