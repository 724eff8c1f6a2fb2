"""The portrait gallery: the bundled portraits plus verified uploads, each picked by id, never by path.

Uploads are decoded by content (deepstory.portraits.decode_image: file-size and pixel caps checked from the
header before any pixels are decoded), re-encoded as PNG or JPEG (nothing of the original file survives) and stored
under a server-generated id. The face found in each portrait is kept so the cast view can outline it.
"""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from deepstory.cache import atomic_write_bytes, atomic_write_text
from deepstory.errors import PortraitError
from deepstory.portraits import BUNDLED_DIR, decode_image, face_box_of, image_format

from .ids import is_id, new_id

_BUNDLED_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
_EXTS = (".jpg", ".jpeg", ".png", ".webp")
_STORED_EXTS = (".png", ".jpg")      # how uploads are kept


def safe_label(name: object) -> str:
    """A display label from an upload's file name: shown, escaped, never used as a path."""
    stem = Path(str(name or "")).name.rsplit(".", 1)[0]
    return re.sub(r"[^\w .-]+", "", stem).strip(" .")[:40] or "uploaded portrait"


class PortraitNotFound(LookupError):
    pass


class Gallery:
    def __init__(self, upload_dir: Path, *, max_pixels: int, bundled_dir: Path = BUNDLED_DIR,
                 max_uploads: int = 500, max_upload_bytes: int = 2**30):
        self.max_uploads, self.max_upload_bytes = max_uploads, max_upload_bytes
        self.upload_dir = Path(upload_dir)
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.bundled_dir = bundled_dir
        self.max_pixels = max_pixels
        self._faces: dict[str, Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------- lookup
    def _bundled(self) -> dict[str, Path]:
        out = {}
        for p in sorted(self.bundled_dir.iterdir()):
            if p.suffix.lower() in _EXTS and _BUNDLED_ID.fullmatch(p.stem):
                out[p.stem] = p
        return out

    def path(self, portrait_id: object) -> Path | None:
        """The file of a gallery id, or None when the value is not one (paths are never accepted)."""
        if not isinstance(portrait_id, str):
            return None
        if is_id(portrait_id, "portrait"):
            for ext in _STORED_EXTS:
                p = self.upload_dir / f"{portrait_id}{ext}"
                if p.is_file():
                    return p
            return None
        return self._bundled().get(portrait_id)

    def id_for_path(self, path: Path) -> str | None:
        for pid, p in self._bundled().items():
            if p.resolve() == Path(path).resolve():
                return pid
        return None

    def _info(self, pid: str, path: Path, bundled: bool) -> dict[str, Any]:
        meta_path = path.with_suffix(".json")
        meta: dict[str, Any] = {}
        if not bundled and meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
        if "face" not in meta or "width" not in meta:
            with self._lock:
                cached = self._faces.get(pid)
            if cached is None:
                img = decode_image(path.read_bytes(), f"portrait {pid}")
                cached = {"width": img.shape[1], "height": img.shape[0], "face": face_box_of(img)}
                with self._lock:
                    self._faces[pid] = cached
            meta = {**meta, **cached}
        label = meta.get("label") or pid.replace("_", " ").title()
        return {"id": pid, "label": label, "bundled": bundled, "width": meta["width"], "height": meta["height"],
                "face": meta["face"], "url": f"/api/portraits/{pid}/image"}

    def list(self) -> list[dict[str, Any]]:
        items = [self._info(pid, p, True) for pid, p in self._bundled().items()]
        uploads = sorted(self._stored(), key=lambda p: p.stat().st_mtime)
        items += [self._info(p.stem, p, False) for p in uploads if is_id(p.stem, "portrait")]
        return items

    def _stored(self) -> list[Path]:
        return [p for ext in _STORED_EXTS for p in self.upload_dir.glob(f"u*{ext}")]

    def _check_quota(self) -> None:
        stored = self._stored()
        if len(stored) >= self.max_uploads:
            raise PortraitError(f"the gallery holds {len(stored)} uploads, the most it keeps; delete some first")
        total = sum(p.stat().st_size for p in stored)
        if total >= self.max_upload_bytes:
            raise PortraitError(f"stored uploads take {total / 2**20:.0f} MB, the most the gallery keeps "
                                f"({self.max_upload_bytes / 2**20:.0f} MB); delete some first")

    def info(self, portrait_id: str) -> dict[str, Any] | None:
        path = self.path(portrait_id)
        if path is None:
            return None
        return self._info(portrait_id, path, not is_id(portrait_id, "portrait"))

    # ------------------------------------------------------------------------------------------- upload
    def add_upload(self, data: bytes, filename: object = None) -> dict[str, Any]:
        """Verify, re-encode and store an uploaded image; PortraitError (a 4xx) when it is not acceptable."""
        import cv2
        self._check_quota()
        img = decode_image(data, "the uploaded file", self.max_pixels)
        # re-encoded (nothing of the original file survives); photos stay JPEG (a PNG of a photo is ~5x
        # larger), lossless sources stay lossless
        ext = ".jpg" if image_format(data) in ("jpeg", "webp") else ".png"
        params = [cv2.IMWRITE_JPEG_QUALITY, 95] if ext == ".jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 6]
        ok, png = cv2.imencode(ext, np.ascontiguousarray(img[:, :, ::-1]), params)
        if not ok:
            raise PortraitError("the image could not be stored; try another file")
        face = face_box_of(img)
        pid = new_id("portrait")
        meta = {"id": pid, "label": safe_label(filename), "width": img.shape[1], "height": img.shape[0],
                "face": face}
        atomic_write_text(self.upload_dir / f"{pid}.json", json.dumps(meta))
        atomic_write_bytes(self.upload_dir / f"{pid}{ext}", png.tobytes())
        return self._info(pid, self.upload_dir / f"{pid}{ext}", False)

    # ------------------------------------------------------------------------------------------- manage
    def _upload(self, portrait_id: object) -> Path:
        if not is_id(portrait_id, "portrait"):
            if isinstance(portrait_id, str) and portrait_id in self._bundled():
                raise PortraitError(f"{portrait_id!r} is a bundled portrait; only uploads can be changed or deleted")
            raise PortraitNotFound(str(portrait_id))
        path = self.path(portrait_id)
        if path is None:
            raise PortraitNotFound(str(portrait_id))
        return path

    def relabel(self, portrait_id: object, label: object) -> dict[str, Any]:
        path = self._upload(portrait_id)
        if not isinstance(label, str) or not label.strip():
            raise PortraitError("'label' must be a name for the portrait")
        meta_path = path.with_suffix(".json")
        with self._lock:
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
            meta["label"] = safe_label(label.strip() + ".x")
            atomic_write_text(meta_path, json.dumps(meta))
        return self._info(path.stem, path, False)

    def delete(self, portrait_id: object) -> None:
        path = self._upload(portrait_id)
        with self._lock:
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
            self._faces.pop(path.stem, None)
