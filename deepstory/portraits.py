"""Loading portraits: verified images only, with size limits, and the bundled defaults."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cache import image_digest
from .errors import PortraitError
from .settings import PATHS
from .native_stderr import quiet_native_stderr
from .stable_pick import stable_pick

BUNDLED_DIR = PATHS.portraits
BUNDLED = [("grace_hopper.jpg", False), ("astronaut.jpg", False), ("grace_hopper.jpg", True), ("astronaut.jpg", True)]
MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000          # decompression-bomb guard: checked from the header before decoding


@dataclass(frozen=True)
class Portrait:
    image: np.ndarray        # HxWx3 uint8 RGB
    digest: str              # hash of the pixels: what the animate stage's cache key uses
    label: str               # for messages


FORMATS = "PNG, JPEG, WebP, BMP or GIF"


def image_format(data: bytes) -> str | None:
    """The accepted format these bytes start with ('png', 'jpeg', 'webp', 'gif', 'bmp'), else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:2] == b"BM":
        return "bmp"
    return None


def image_header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a PNG/JPEG/WebP/GIF/BMP header without decoding pixels, or None."""
    import struct
    kind = image_format(data)
    if kind == "png" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if kind == "gif" and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if kind == "bmp" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(w), abs(h)
    if kind == "webp" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":          # extended: canvas size, 24 bits each, minus one
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":   # lossy key frame: 14-bit sizes
            return (int.from_bytes(data[26:28], "little") & 0x3FFF,
                    int.from_bytes(data[28:30], "little") & 0x3FFF)
        if chunk == b"VP8L" and data[20] == 0x2F:              # lossless: 14-bit sizes minus one
            bits = int.from_bytes(data[21:25], "little")
            return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
        return None
    if kind == "jpeg":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return w, h
            if marker in (0xD8, 0x01, 0xFF) or 0xD0 <= marker <= 0xD7:
                i += 1 if marker == 0xFF else 2
                continue
            i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    return None


def check_image_header(data: bytes, label: str, max_pixels: int = None) -> tuple[int, int]:
    """Refuse, before any decoding, what is not an accepted format or is too large by its header.

    Formats whose size cannot be read from the header (TIFF, PNM, ...) are refused outright: a
    decoder would have to allocate the pixels before anyone could check them."""
    max_pixels = MAX_PIXELS if max_pixels is None else max_pixels
    if len(data) > MAX_FILE_BYTES:
        raise PortraitError(f"{label} is too large ({len(data) / 1e6:.1f} MB; the limit is "
                            f"{MAX_FILE_BYTES // 2**20} MB)")
    if image_format(data) is None:
        raise PortraitError(f"{label} is not a readable image (expected {FORMATS})")
    size = image_header_size(data)
    if size is None:
        raise PortraitError(f"{label}: the image size cannot be read from its header; save it as {FORMATS}")
    if size[0] * size[1] > max_pixels:
        raise PortraitError(f"{label} is {size[0]}x{size[1]} pixels; the limit is "
                            f"{max_pixels / 1e6:.0f} megapixels")
    if min(size) < 16:
        raise PortraitError(f"{label} is {size[0]}x{size[1]} pixels; a portrait needs at least 16x16")
    return size


def decode_image(data: bytes, label: str, max_pixels: int = None) -> np.ndarray:
    """Decode image bytes (by content, never by extension) to RGB uint8, refusing oversized ones."""
    import cv2
    max_pixels = MAX_PIXELS if max_pixels is None else max_pixels
    check_image_header(data, label, max_pixels)
    buf = np.frombuffer(data, np.uint8)
    try:
        with quiet_native_stderr():
            img = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
    except cv2.error:
        img = None
    if img is None or img.ndim != 3 or min(img.shape[:2]) < 16:
        raise PortraitError(f"{label} is not a readable image ({FORMATS}, at least 16x16)")
    if img.shape[0] * img.shape[1] > max_pixels:       # a header that lied
        raise PortraitError(f"{label} is too large ({img.shape[1]}x{img.shape[0]} pixels)")
    return np.ascontiguousarray(img[:, :, ::-1])


def load_portrait(path: Path, *, mirror: bool = False, label: str | None = None) -> Portrait:
    label = label or str(path)
    try:
        found = path.is_file()
    except OSError as exc:
        raise PortraitError(f"cannot open portrait {label[:120]}: {exc.strerror}") from None
    if not found:
        raise PortraitError(f"portrait not found: {label}; check the path in the story's front matter "
                            f"(relative paths are taken from the story file's folder)")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:       # checked before reading: a sparse 3 GB file costs nothing to stat
            raise PortraitError(f"portrait {label} is too large ({size / 1e6:.1f} MB; the limit is "
                                f"{MAX_FILE_BYTES // 2**20} MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise PortraitError(f"cannot read portrait {label}: {exc.strerror}") from None
    img = decode_image(data, f"portrait {label}")
    if mirror:
        img = np.ascontiguousarray(img[:, ::-1])
    return Portrait(img, image_digest(img), label)


DETECT_SIDE = 1024          # faces are found on a downscaled copy; boxes are scaled back


def face_box_of(img: np.ndarray) -> list[float] | None:
    """[x0, y0, x1, y1] of the face MediaPipe finds in an RGB image, in its pixels; None without a face."""
    import cv2
    from modules.landmarks import detect, face_box
    h, w = img.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(h, w))
    small = img if scale == 1.0 else cv2.resize(img, (round(w * scale), round(h * scale)),
                                                interpolation=cv2.INTER_AREA)
    with quiet_native_stderr():
        mesh = detect(np.ascontiguousarray(small))
    if mesh is None:
        return None
    return [round(float(v) / scale, 1) for v in face_box(mesh)]


def default_portrait_for(name: str, taken: set[int]) -> tuple[Path, bool]:
    """A bundled portrait for a speaker without one, stable per name, distinct while they last."""
    file, mirror = BUNDLED[stable_pick(name, len(BUNDLED), taken)]
    return BUNDLED_DIR / file, mirror


def default_portraits(speakers: dict) -> dict[str, tuple[Path, bool]]:
    """(bundled file, mirrored) for every speaker without a portrait, in story order: the one place the
    default cast is decided (the CLI's render and the studio's casting panel show the same faces)."""
    taken: set[int] = set()
    return {name: default_portrait_for(name, taken) for name, sp in speakers.items() if not sp.portrait}


def resolve_path(value: str, base_dir: Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base_dir / p)
