"""Portrait uploads: only verified images, under server names, within size and pixel caps."""
from __future__ import annotations

import io
import struct
import zlib

import cv2
import pytest

from storyfiles import PORTRAITS
from webapp import Client, make_app


@pytest.fixture
def client(tmp_path):
    return Client(make_app(tmp_path, SEED_DEMO=False, MAX_CONTENT_LENGTH=2 * 2**20, MAX_PIXELS=4_000_000))


def _upload(client: Client, data: bytes, name: str = "face.png"):
    return client.post("/api/portraits", data={"image": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _png(width: int, height: int, rows: bytes, *, bit_depth: int = 1, color: int = 0) -> bytes:
    """A valid PNG built by hand: header chunk, zlib'd rows, end chunk."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def _stored(client: Client) -> list[str]:
    return sorted(p.name for p in client.app.extensions["deepstory"].gallery.upload_dir.iterdir())


def test_a_real_portrait_is_stored_under_a_server_id_with_its_face(client, tmp_path):
    data = (PORTRAITS / "astronaut.jpg").read_bytes()
    r = _upload(client, data, "../../../../tmp/evil name<script>.jpg")
    assert r.status_code == 201, r.get_json()
    info = r.get_json()
    assert info["id"].startswith("u") and len(info["id"]) == 13 and "/" not in info["label"] and "<" not in info["label"]
    assert info["label"] == "evil namescript"
    assert (info["width"], info["height"]) == (512, 512)
    x0, y0, x1, y1 = info["face"]                     # the astronaut's face is in the upper middle
    assert 150 < x0 < x1 < 360 and 30 < y0 < y1 < 300
    assert _stored(client) == [f"{info['id']}.jpg", f"{info['id']}.json"]     # a photo stays JPEG
    assert not (tmp_path / "evil name<script>.jpg").exists()
    img = client.get(info["url"])
    assert img.status_code == 200 and img.data.startswith(b"\xff\xd8") and img.data != data   # re-encoded
    ids = [p["id"] for p in client.get("/api/portraits").get_json()["portraits"]]
    assert ids == ["astronaut", "grace_hopper", info["id"]]


@pytest.mark.parametrize("data, expect", [
    (b"GIF89a\x20\x00\x20\x00 not really an image", "not a readable image"),
    (b"#!/bin/sh\nrm -rf /\n", "not a readable image"),
    (b"", "not a readable image"),
    ((PORTRAITS / "astronaut.jpg").read_bytes()[:2000], "not a readable image"),       # truncated JPEG
])
def test_non_images_are_refused(client, data, expect):
    r = _upload(client, data, "portrait.png")
    assert r.status_code == 400 and expect in r.get_json()["error"]
    assert _stored(client) == []


def test_oversized_upload_is_refused_before_reading(client):
    r = _upload(client, b"\xff\xd8" + b"\0" * (3 * 2**20))
    assert r.status_code == 413 and "too large" in r.get_json()["error"] and "2 MB" in r.get_json()["error"]
    assert _stored(client) == []


def test_decompression_bombs_are_refused_from_the_header(client):
    # A real, valid 1-bit PNG of 20000x20000 pixels (400 megapixels) that compresses to ~150 KB.
    width = height = 20000
    raw_row = b"\0" + b"\0" * (width // 8)
    bomb = _png(width, height, zlib.compress(raw_row * height, 9))
    assert len(bomb) < 2 * 2**20
    r = _upload(client, bomb)
    assert r.status_code == 400 and "20000x20000" in r.get_json()["error"]
    # A header that lies (claims 60000x60000 over a few bytes) is refused the same way.
    liar = _png(60000, 60000, zlib.compress(b"\0" * 16))
    assert _upload(client, liar).status_code == 400
    # Just over the studio's 4 MP cap (but under the pipeline's own cap) is refused too.
    big = cv2.imencode(".png", cv2.resize(cv2.imread(str(PORTRAITS / "astronaut.jpg")), (2100, 2000)))[1].tobytes()
    r = _upload(client, big)
    assert r.status_code in (400, 413) and _stored(client) == []


def test_upload_needs_csrf_and_the_image_field(client):
    bare = client.app.test_client()
    r = bare.post("/api/portraits", data={"image": (io.BytesIO(b"x"), "a.png")}, content_type="multipart/form-data")
    assert r.status_code == 403
    r = client.post("/api/portraits", data={"file": (io.BytesIO(b"x"), "a.png")}, content_type="multipart/form-data")
    assert r.status_code == 400 and "'image'" in r.get_json()["error"]


def test_only_gallery_ids_name_portrait_files(client):
    gallery = client.app.extensions["deepstory"].gallery
    for bad in ("../portraits/astronaut", "astronaut.jpg", "/etc/passwd", "u../../../etc", "U0123456789ab",
                "u0123456789ab", "..", "", None, 7):
        assert gallery.path(bad) is None, bad
    assert gallery.path("astronaut") == PORTRAITS / "astronaut.jpg"
