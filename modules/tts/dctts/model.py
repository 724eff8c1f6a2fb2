"""A loaded DCTTS voice: folder with `t2m*.pth` + `ssrn.pth` (+ optional `hparams.json`) -> speech."""
from __future__ import annotations

import gc
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from modules.checkpoint import pick_device
from modules.errors import CheckpointError

from .audio import normalize_loudness, spectrogram_to_wav
from .checkpoint import load_weights
from .hparams import DEEPSTORY, HParams, hparams_from_mapping, read_hparams_file
from .ssrn import SSRN
from .synthesis import generate_mel, mel_to_magnitude
from .text import EOS, normalize_text, text_to_ids
from .text2mel import Text2Mel

HPARAMS_FILE = "hparams.json"
SSRN_FILE = "ssrn.pth"


def voice_files(folder: str | Path) -> tuple[Path, Path]:
    """(Text2Mel checkpoint, SSRN checkpoint) of a voice folder; the first `t2m*.pth` in name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"DCTTS voice folder not found: {folder}")
    t2m = sorted(folder.glob("t2m*.pth"))
    ssrn = folder / SSRN_FILE
    missing = ([] if t2m else ["t2m*.pth (Text2Mel checkpoint)"]) + \
        ([] if ssrn.is_file() else [f"{SSRN_FILE} (SSRN checkpoint)"])
    if missing:
        raise CheckpointError(f"DCTTS voice folder {folder} lacks " + " and ".join(missing)
                              + "; a voice needs both files, as trained by pytorch-dc-tts")
    return t2m[0], ssrn


class DcttsModel:
    """Text2Mel + SSRN of one speaker. Use as a context manager to free the weights when done."""

    def __init__(self, text2mel: Text2Mel, ssrn: SSRN, hp: HParams, device: torch.device, name: str = ""):
        self.text2mel, self.ssrn, self.hp, self.device, self.name = text2mel, ssrn, hp, device, name

    @property
    def sample_rate(self) -> int:
        return self.hp.sr

    def __enter__(self) -> "DcttsModel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the networks (a voice is ~550 MB at Deepstory's size)."""
        self.text2mel = self.ssrn = None   # type: ignore[assignment]
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def normalize(self, text: str) -> str:
        return normalize_text(text, self.hp.vocab)

    def text_to_ids(self, text: str) -> list[int]:
        """The original normalisation, vocabulary lookup and EOS."""
        return text_to_ids(text, self.hp.vocab)

    def synthesize(self, text: str, max_steps: int | None = None, return_intermediates: bool = False
                   ) -> tuple[np.ndarray, int] | tuple[np.ndarray, int, dict[str, Any]]:
        """Speak one sentence: float32 audio in [-1, 1) at `sample_rate` (loudness-normalised like Deepstory).

        `max_steps` caps the Text2Mel steps (default: the voice's cap). With `return_intermediates`, also a
        dict with ids, mel, mel_logit, attention (+ argmax / forced flags), mag_logit, magnitude, steps and
        every waveform stage.
        """
        if self.text2mel is None:
            raise RuntimeError("this DCTTS voice was closed")
        cap = self.hp.step_cap if max_steps is None else int(max_steps)
        if cap < 1:
            raise ValueError("max_steps must be at least 1")
        ids = self.text_to_ids(text)
        ids_tensor = torch.tensor([ids], dtype=torch.long, device=self.device)
        result = generate_mel(self.text2mel, ids_tensor, cap, eos_id=self.hp.vocab.index(EOS))
        mag_logit, mag = mel_to_magnitude(self.ssrn, result.mel)
        stages = spectrogram_to_wav(mag[0].T.float().cpu().numpy(), self.hp, self.device)
        wav = normalize_loudness(stages["wav_int16"])
        audio = wav.astype(np.float32) / np.float32(32768.0)
        if not return_intermediates:
            return audio, self.hp.sr
        cpu = lambda t: t.detach().float().cpu().numpy()  # noqa: E731
        info = {"ids": np.array(ids, dtype=np.int64), "text_normalized": self.normalize(text),
                "mel": cpu(result.mel), "mel_logit": cpu(result.mel_logit), "attention": cpu(result.attention),
                "attention_argmax": np.array(result.attention_argmax, dtype=np.int64),
                "attention_forced": np.array(result.attention_forced, dtype=bool),
                "mag_logit": cpu(mag_logit), "magnitude": cpu(mag), "steps": result.steps, "max_steps": cap,
                "stopped_on_eos": result.stopped_on_eos, "wav": wav, **stages}
        return audio, self.hp.sr, info


def load_voice(folder: str | Path, device: Any = None, hparams: HParams | Mapping[str, Any] | None = None
               ) -> DcttsModel:
    """Load a voice folder strictly. hparams: the argument, else the folder's hparams.json, else Deepstory's."""
    t2m_path, ssrn_path = voice_files(folder)
    folder = Path(folder)
    if isinstance(hparams, HParams):
        hp = hparams
    elif hparams is not None:
        hp = hparams_from_mapping(hparams)
    elif (folder / HPARAMS_FILE).is_file():
        hp = read_hparams_file(folder / HPARAMS_FILE)
    else:
        hp = DEEPSTORY
    device = pick_device(device)
    hint = (f" (the voice was built with d={hp.d}, vocab of {len(hp.vocab)}, n_mels={hp.n_mels}, c={hp.c}, "
            f"n_fft={hp.n_fft}; if it was trained with other hparams, put them in {folder / HPARAMS_FILE}, "
            f'e.g. {{"preset": "tugstugi"}} for pytorch-dc-tts defaults)')
    text2mel, ssrn = Text2Mel(hp), SSRN(hp)
    load_weights(text2mel, t2m_path, what="DCTTS Text2Mel checkpoint", hint=hint)
    load_weights(ssrn, ssrn_path, what="DCTTS SSRN checkpoint", hint=hint)
    return DcttsModel(text2mel.to(device).eval(), ssrn.to(device).eval(), hp, device, name=folder.name)
