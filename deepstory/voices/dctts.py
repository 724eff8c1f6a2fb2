"""DCTTS voices: `dctts:<folder>` with the original Deepstory / pytorch-dc-tts checkpoints in it.

The folder holds `t2m*.pth` + `ssrn.pth` (+ an optional `hparams.json`). It is looked up relative to the
story file's directory, then under `data/dctts/`, then under the repo root (so both `dctts:Geralt` and
`dctts:data/dctts/Geralt` work). Weights load once in `__enter__` and are freed in `__exit__`; the audio
comes at the voice's own rate and without a phoneme timeline.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from modules.errors import ModelInputError

from ..cache import file_identity
from ..errors import VoiceError
from ..settings import PATHS
from .base import Speech, Voice

HPARAMS_FILE = "hparams.json"


def _candidates(folder: str, base_dir: Path | None, data_dir: Path) -> list[Path]:
    path = Path(folder).expanduser()
    if path.is_absolute():
        return [path]
    bases = ([Path(base_dir)] if base_dir is not None else []) + [data_dir / "dctts", data_dir.parent]
    return [base / path for base in bases]


def _voice_folder_problem(folder: Path) -> str | None:
    """What is missing from a voice folder, or None when it looks complete."""
    if not folder.is_dir():
        return "the folder does not exist"
    missing = []
    if not sorted(folder.glob("t2m*.pth")):
        missing.append("t2m.pth (Text2Mel checkpoint)")
    if not (folder / "ssrn.pth").is_file():
        missing.append("ssrn.pth (SSRN checkpoint)")
    return f"it has no {' and no '.join(missing)}" if missing else None


class DcttsVoice(Voice):
    kind = "dctts"
    has_timeline = False
    version = "1"

    def __init__(self, spec: str, base_dir: Path | str | None = None, data_dir: Path | str | None = None,
                 device: Any = None):
        super().__init__(spec)
        folder = spec.split(":", 1)[1].strip() if ":" in spec else spec.strip()
        if not folder:
            raise VoiceError(f"voice {spec!r} names no folder; write it like 'dctts:Geralt' or "
                             f"'dctts:data/dctts/Geralt'")
        data_dir = Path(data_dir) if data_dir is not None else PATHS.data
        tried = _candidates(folder, Path(base_dir) if base_dir is not None else None, data_dir)
        found = next((p for p in tried if p.is_dir()), None)
        if found is None:
            raise VoiceError(f"DCTTS voice folder for {spec!r} not found (looked in: "
                             + ", ".join(str(p) for p in tried)
                             + "). Place the voice's t2m.pth and ssrn.pth in data/dctts/<Name>/")
        problem = _voice_folder_problem(found)
        if problem:
            raise VoiceError(f"DCTTS voice {spec!r} at {found}: {problem}. A voice folder needs the Text2Mel "
                             f"checkpoint t2m*.pth and the SSRN checkpoint ssrn.pth")
        self.folder = found.resolve()
        self.device = device
        self._voice = None
        self._depth = 0

    def cache_key(self) -> dict[str, Any]:
        """Changes when the checkpoints or hparams change (their content: deepstory.cache.file_identity)."""
        t2m = sorted(self.folder.glob("t2m*.pth"))[0]
        key: dict[str, Any] = {"voice": self.folder.name, "t2m": file_identity(t2m),
                               "ssrn": file_identity(self.folder / "ssrn.pth")}
        hp = self.folder / HPARAMS_FILE
        if hp.is_file():
            key["hparams"] = file_identity(hp)
        return key

    def _load(self):
        from modules.tts.dctts import load_voice
        try:
            return load_voice(self.folder, device=self.device)
        except ModelInputError as exc:
            raise VoiceError(f"cannot load DCTTS voice {self.spec!r}: {exc}") from None

    def __enter__(self) -> "DcttsVoice":
        if self._depth == 0:
            self._voice = self._load()
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth = max(0, self._depth - 1)
        if self._depth == 0 and self._voice is not None:
            self._voice.close()
            self._voice = None

    def synthesize(self, text: str) -> Speech:
        if self._voice is None:      # used outside `with`: load for this call only
            with self:
                return self.synthesize(text)
        audio, rate = self._voice.synthesize(text)
        return Speech(audio, rate, None)


def list_dctts_voices(root: Path) -> list[str]:
    """Specs (`dctts:<Name>`) of the complete voice folders directly under `root` (normally data/dctts)."""
    root = Path(root)
    if not root.is_dir():
        return []
    return [f"dctts:{p.name}" for p in sorted(root.iterdir())
            if not p.name.startswith(".") and _voice_folder_problem(p) is None]
