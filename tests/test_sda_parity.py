"""Golden parity with the original `sda` package on case-tiny.npz (every intermediate it lists).

Tolerances are the fixture README's: exact for pure slicing/affine steps, 1e-5 for tanh-range tensors,
2e-3 for the 0..250 video.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from modules.sda import VideoAnimator, cut_windows, draw_noise
from modules.sda.inputs import frame_tensor

TOL = 1e-5


@pytest.fixture(scope="module")
def case(fixtures_dir):
    with np.load(fixtures_dir / "sda" / "case-tiny.npz") as npz:
        return {k: npz[k] for k in npz.files}


@pytest.fixture(scope="module")
def va(fixtures_dir) -> VideoAnimator:
    return VideoAnimator(fixtures_dir / "sda" / "tiny.dat", device="cpu")


def test_meta_values_read_from_legacy_file(va, case):
    meta = json.loads(str(case["meta_json"]))["model_meta"]
    for key, value in meta.items():
        got = getattr(va, key)
        assert (list(got) if key == "img_size" else got) == value, key
    assert isinstance(va.img_size, tuple) and va.mean_face.shape == (68, 2) and va.mean_face.dtype == np.float32


def test_speech_and_returned_audio(va, case):
    speech = va.speech(case["audio"], int(case["fs"]))
    assert speech.dtype == np.float32 and speech.shape == (case["speech"].shape[0],)
    np.testing.assert_array_equal(speech, case["speech"][:, 0])
    np.testing.assert_allclose(speech, case["speech_f64"], atol=1e-6)


def test_windows_exact(va, case):
    assert va.cutting_stride == int(case["cutting_stride"])
    assert va.audio_feat_samples - va.cutting_stride == int(case["pad_samples"])
    windows = cut_windows(torch.from_numpy(case["speech"][:, 0]), va.audio_feat_samples, va.cutting_stride)
    np.testing.assert_array_equal(windows.numpy(), case["audio_feat_seq"][0, :, :, 0])


def test_audio_codes_and_gru(va, case):
    windows = torch.from_numpy(case["audio_feat_seq"][0, :, :, 0])
    with torch.no_grad():
        codes = va.nets.encoder.encode_windows(windows)
    np.testing.assert_allclose(codes.numpy(), case["audio_frame_codes"], atol=TOL, rtol=0)
    z = va.encode_speech(case["speech"][:, 0])
    assert z.shape == case["z"].shape
    np.testing.assert_allclose(z.numpy(), case["z"], atol=TOL, rtol=0)


def test_identity_code_and_skips(va, case):
    np.testing.assert_array_equal(frame_tensor(case["frame"], va.img_size).numpy(), case["frame_tensor"])
    z_id, skips = va.encode_identity(case["frame"])
    np.testing.assert_allclose(z_id.numpy(), case["z_id"], atol=TOL, rtol=0)
    assert [list(s.shape) for s in skips] == case["skip_shapes"].tolist()
    for i, s in enumerate(skips):
        np.testing.assert_allclose(s.numpy(), case[f"skip_{i}"], atol=TOL, rtol=0)
    # The generator sees them deepest first, one per frame (broadcast, not copied).
    t = case["z"].shape[1]
    assert [[1, t, *s.shape[1:]] for s in skips[::-1]] == case["gen_skip_shapes"].tolist()


def test_noise_draw_and_noise_gru(va, case):
    t = case["z"].shape[1]
    np.testing.assert_array_equal(draw_noise(t, va.aux_latent, int(case["noise_seed"])).numpy(), case["noise"])
    torch.manual_seed(int(case["noise_seed"]))            # the original's way: global RNG
    np.testing.assert_array_equal(draw_noise(t, va.aux_latent).numpy(), case["noise"])
    with torch.no_grad():
        gru_out = va.nets.generator.rnn_noise(torch.from_numpy(case["noise"]))[0]
    np.testing.assert_allclose(gru_out.numpy(), case["noise_gru_out"], atol=TOL, rtol=0)


def test_generator_from_fixture_codes(va, case):
    gen = va.nets.generator
    skips = [torch.from_numpy(case["skip_0"]), torch.from_numpy(case["skip_1"])]
    with torch.no_grad():
        aux = gen.noise_sequence(torch.from_numpy(case["noise"]))
        t = aux.shape[1]
        latent = torch.cat([torch.from_numpy(case["z"])[0], aux[0], torch.from_numpy(case["z_id"]).expand(t, -1)], 1)
        out = gen.frames(latent, skips[::-1])
    np.testing.assert_allclose(out.numpy(), case["gen_out"], atol=TOL, rtol=0)


@pytest.mark.parametrize("noise_kind", ["seed", "array"])
def test_full_call(va, case, noise_kind):
    noise = int(case["noise_seed"]) if noise_kind == "seed" else case["noise"]
    video, audio_out = va(case["frame"], case["audio"], fs=int(case["fs"]), aligned=True, noise=noise)
    assert video.dtype == np.float32 and video.shape == case["video"].shape
    np.testing.assert_allclose(video, case["video"], atol=2e-3, rtol=0)
    assert 0 <= video.min() and video.max() <= 250
    assert audio_out.dtype == np.int16 and audio_out.shape == case["returned_audio"].shape
    np.testing.assert_array_equal(audio_out, case["returned_audio"])


def test_chunking_does_not_change_results(fixtures_dir, case):
    small = VideoAnimator(fixtures_dir / "sda" / "tiny.dat", device="cpu", chunk_frames=7)
    video, _ = small(case["frame"], case["audio"], fs=int(case["fs"]), aligned=True, noise=case["noise"])
    np.testing.assert_allclose(video, case["video"], atol=2e-3, rtol=0)


def test_fast_path_within_tolerance(fixtures_dir, case):
    fast = VideoAnimator(fixtures_dir / "sda" / "tiny.dat", device="cpu", fast=True)
    video, _ = fast(case["frame"], case["audio"], fs=int(case["fs"]), aligned=True, noise=case["noise"])
    np.testing.assert_allclose(video, case["video"], atol=2e-3, rtol=0)
    np.testing.assert_allclose((video - 125) / 125, case["gen_out"], atol=TOL, rtol=0)
