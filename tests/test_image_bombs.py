"""Decompression bombs in every format a decoder knows: refused from the header (or for being a format
whose size cannot be read without decoding), before any pixels are allocated; sparse huge files refused
by their size before they are read."""
from __future__ import annotations

import io
import resource
import struct
import subprocess
import sys
import zlib

import cv2
import numpy as np
import pytest

from deepstory.errors import PortraitError
from deepstory.portraits import check_image_header, decode_image, image_header_size, load_portrait
from storyfiles import PORTRAITS
from webapp import Client, make_app


def _png_header(w: int, h: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", rows)


def _tiff(w: int, h: int) -> bytes:
    """A little-endian TIFF whose only IFD says w x h, 8-bit RGB, deflate-compressed."""
    entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 8), (259, 3, 1, 8), (262, 3, 1, 2), (277, 3, 1, 3)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + b"\0\0\0\0"
    return b"II*\x00" + struct.pack("<I", 8) + ifd + zlib.compress(b"\0" * 100_000)


def _webp(chunk: bytes, w: int, h: int) -> bytes:
    if chunk == b"VP8L":
        body = b"\x2f" + ((w - 1) | ((h - 1) << 14)).to_bytes(4, "little") + b"\0" * 64
    elif chunk == b"VP8X":
        body = b"\0" * 4 + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    else:
        body = b"\x10\x02\x00\x9d\x01\x2a" + w.to_bytes(2, "little") + h.to_bytes(2, "little") + b"\0" * 64
    return b"RIFF" + struct.pack("<I", 4 + 8 + len(body)) + b"WEBP" + chunk + struct.pack("<I", len(body)) + body


BOMBS = {
    "png 20000x20000": (_png_header(20000, 20000), "megapixels"),
    "tiff 20000x20000 deflate": (_tiff(20000, 20000), "not a readable image"),
    "pbm 100 MP": (b"P4\n10000 10000\n" + b"\0" * 1000, "not a readable image"),
    "webp lossless 16000^2": (_webp(b"VP8L", 16000, 16000), "megapixels"),
    "webp extended 16000^2": (_webp(b"VP8X", 16000, 16000), "megapixels"),
    "webp lossy 16000^2": (_webp(b"VP8 ", 16000, 16000), "megapixels"),
    "gif 65535^2": (b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\0" * 100, "megapixels"),
    "bmp 30000^2": (b"BM" + b"\0" * 16 + struct.pack("<ii", 30000, -30000) + b"\0" * 100, "megapixels"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_bombs_are_refused_from_the_header(name):
    data, words = BOMBS[name]
    with pytest.raises(PortraitError) as err:
        decode_image(data, "portrait x")
    assert words in str(err.value)


def test_header_sizes_of_real_encodings():
    img = np.zeros((40, 70, 3), np.uint8)
    for ext, params in ((".png", []), (".jpg", []), (".bmp", []), (".webp", [cv2.IMWRITE_WEBP_QUALITY, 80]),
                        (".webp", [cv2.IMWRITE_WEBP_QUALITY, 101])):     # lossy VP8 and lossless VP8L
        ok, buf = cv2.imencode(ext, img, params)
        assert ok and image_header_size(buf.tobytes()) == (70, 40), ext
        assert check_image_header(buf.tobytes(), "x") == (70, 40)


def test_decoding_bombs_stays_within_memory():
    """In a child process capped at 1.5 GB of address space, every bomb is refused cleanly."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000,) * 2)\n"
            "sys.path[:0] = ['.', 'tests']\n"
            "from test_image_bombs import BOMBS\n"
            "from deepstory.portraits import decode_image\n"
            "from deepstory.errors import PortraitError\n"
            "for name, (data, _) in BOMBS.items():\n"
            "    try:\n        decode_image(data, name)\n    except PortraitError:\n        pass\n"
            "    else:\n        raise SystemExit('accepted ' + name)\n"
            "print('refused all')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=str(PORTRAITS.parents[1]))
    assert r.returncode == 0 and "refused all" in r.stdout, r.stderr[-2000:]


def test_sparse_huge_portrait_is_refused_before_reading(tmp_path):
    big = tmp_path / "huge.png"
    with open(big, "wb") as f:
        f.write(_png_header(512, 512))
        f.truncate(3 * 2**30)                 # 3 GB, sparse: nothing is written to disk
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(PortraitError, match="too large"):
        load_portrait(big)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000    # KB


@pytest.mark.parametrize("name", ["tiff 20000x20000 deflate", "webp lossless 16000^2", "pbm 100 MP"])
def test_upload_bombs_get_400(tmp_path, name):
    client = Client(make_app(tmp_path, SEED_DEMO=False, MAX_PIXELS=4_000_000))
    r = client.post("/api/portraits", data={"image": (io.BytesIO(BOMBS[name][0]), "x.tif")},
                    content_type="multipart/form-data")
    assert r.status_code == 400, r.get_json()
    assert "error" in r.get_json()
