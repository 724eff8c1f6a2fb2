"""Command-line mistakes that used to end in a traceback: each is one `error:` line, exit 2, and no
folder or file left behind; temp files of killed writers are swept by the next run."""
from __future__ import annotations

import os
import pickle
import shutil

import pytest

from storyfiles import PORTRAITS, run_cli


def _one_error_line(r) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith(("voice", "drive", "animate"))]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    return lines[0]


@pytest.fixture
def folder(tmp_path):
    shutil.copy(PORTRAITS / "astronaut.jpg", tmp_path / "astronaut.jpg")
    (tmp_path / "s.md").write_text("Narrator: hello\n")
    return tmp_path


def test_cache_that_is_a_file(folder):
    (folder / "afile").write_text("x")
    msg = _one_error_line(run_cli(str(folder / "s.md"), "--cache", str(folder / "afile"), "-o", str(folder / "o"),
                                  cwd=folder))
    assert "cache" in msg
    assert not (folder / "o").exists()


@pytest.mark.parametrize("name", ["x" * 300 + ".md", "a/" * 2500 + "s.md"])
def test_impossible_file_names(folder, name):
    _one_error_line(run_cli(name, "-o", str(folder / "o"), cwd=folder))


def test_usage_mistake_is_one_line(folder):
    msg = _one_error_line(run_cli(str(folder / "s.md"), "--no-such-flag", cwd=folder))
    assert "--help" in msg


@pytest.mark.slow
def test_junk_dctts_checkpoints(folder):
    voice = folder / "V"
    voice.mkdir()
    (voice / "t2m.pth").write_bytes(b"junk")
    (voice / "ssrn.pth").write_bytes(pickle.dumps({"a": 1}))
    (folder / "d.md").write_text('---\nspeakers:\n  N: {voice: "dctts:V", portrait: astronaut.jpg}\n---\nN: hello\n')
    msg = _one_error_line(run_cli(str(folder / "d.md"), "-o", str(folder / "o"), "--cache", str(folder / "c"),
                                  cwd=folder))
    assert "t2m.pth" in msg
    assert not (folder / "o").exists()


def test_killed_writers_temp_files_are_swept(folder):
    """Leftovers named by a dead process on this host go; a live process's stay."""
    from deepstory.cache import temp_prefix
    out, cache = folder / "o", folder / "c"
    (cache / "animate" / "ab").mkdir(parents=True)
    out.mkdir()
    dead = 2 ** 22 + 12345                       # above pid_max's default: no such process
    stale_clip = cache / "animate" / "ab" / temp_prefix("abc.mp4").replace(f"~{os.getpid()}~", f"~{dead}~")
    stale_clip = stale_clip.with_name(stale_clip.name + "x1.part.mp4")
    stale_out = out / (temp_prefix("s.mp4").replace(f"~{os.getpid()}~", f"~{dead}~") + "y2.part.mp4")
    live = out / (temp_prefix("s.srt") + "z3.part.srt")          # this test process is alive
    for p in (stale_clip, stale_out, live):
        p.write_bytes(b"\0" * 1000)
    r = run_cli(str(folder / "s.md"), "-o", str(out), "--cache", str(cache), "--animator", "still", "-q", cwd=folder)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not stale_clip.exists() and not stale_out.exists()
    assert live.exists()
    assert not [p for p in cache.rglob("*") if ".part" in p.name]


@pytest.mark.slow
def test_library_warnings_do_not_reach_the_user(folder):
    """libpng writes 'iCCP: too short' straight to fd 2 while decoding this PNG; the user sees one line."""
    import struct
    import zlib

    import cv2
    import numpy as np

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ok, buf = cv2.imencode(".png", np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    data = buf.tobytes()
    (folder / "bad.png").write_bytes(data[:33] + chunk(b"iCCP", b"bogus\0\0" + zlib.compress(b"x" * 100)) + data[33:])
    (folder / "b.md").write_text('---\nspeakers:\n  N: {voice: "espeak:en-us", portrait: bad.png}\n---\nN: hello\n')
    msg = _one_error_line(run_cli(str(folder / "b.md"), "-o", str(folder / "o"), "-q", cwd=folder))
    assert "no face" in msg
