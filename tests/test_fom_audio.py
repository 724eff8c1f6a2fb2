"""`animate --portrait IMG --audio REC --animator fom`: the SDA -> FOM chain on one recording (the tiny SDA
and FOM fixture models), on torch and on the onnxruntime export; the recording's audio and length are kept
and only the face moves."""
from __future__ import annotations

import av
import numpy as np
import pytest
import soundfile as sf

from builtin_measure import pyannote_sample
from deepstory.cli import main
from deepstory.media import probe
from storyfiles import REPO


def _frames(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(np.float32)


@pytest.mark.slow
def test_animate_audio_with_fom_on_torch_and_onnxruntime(tmp_path, fixtures_dir, fom_tiny, request):
    audio, sr = pyannote_sample(request.config.cache.mkdir("builtin-sample-audio"))
    wav = tmp_path / "rec.wav"
    sf.write(wav, audio[: 3 * sr], sr)
    assert main(["fom", "export", "--config", str(fom_tiny[0]), "--checkpoint", str(fom_tiny[1]),
                 "--out", str(tmp_path / "onnx"), "-q"]) == 0
    base = ["animate", "--portrait", str(REPO / "data" / "portraits" / "astronaut.jpg"), "--audio", str(wav),
            "--animator", "fom", "--sda-checkpoint", str(fixtures_dir / "sda" / "tiny.dat"), "--max-side", "256",
            "--no-transcribe", "-q", "--device", "cpu"]
    outs = {"torch": ["--fom-config", str(fom_tiny[0]), "--fom-checkpoint", str(fom_tiny[1])],
            "onnxruntime": ["--backend", "onnxruntime", "--onnx-dir", str(tmp_path / "onnx")]}
    videos = {}
    for name, extra in outs.items():
        out = tmp_path / f"{name}.mp4"
        assert main(base + ["-o", str(out)] + extra) == 0
        info = probe(out)
        assert info.audio_codec == "aac" and abs(info.audio_seconds - 3.0) < 0.05
        assert abs(info.frames - round(3.0 * info.fps)) <= 1
        videos[name] = _frames(out)
    frames = videos["torch"]
    motion = frames.std(axis=0).mean(axis=-1)            # per pixel, over time
    h, w = motion.shape
    assert motion.max() > 0.5                            # SDA drives the face crop ...
    assert np.median(motion) < 0.5                       # ... the rest of the portrait holds (coding noise)
    ys, xs = np.nonzero(motion > 0.5)
    assert 100 < len(ys) < 0.25 * h * w                  # a patch moves (the face), not a few pixels, not all
    assert videos["onnxruntime"].shape == frames.shape
    assert np.abs(videos["onnxruntime"] - frames).mean() < 0.5
