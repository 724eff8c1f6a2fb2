"""Golden parity with the original `sda` package on case-tiny.npz (every intermediate it lists).

Tolerances are the fixture README's: exact for pure slicing/affine steps, 1e-5 for tanh-range tensors,
2e-3 for the 0..250 video.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from modules.sda import SdaModel, cut_windows, draw_noise
from modules.sda.inputs import frame_tensor

TOL = 1e-5


def test_meta_values_read_from_legacy_file(sda_va, sda_case):
    meta = json.loads(str(sda_case["meta_json"]))["model_meta"]
    for key, value in meta.items():
        got = getattr(sda_va, key)
        assert (list(got) if key == "img_size" else got) == value, key
    assert isinstance(sda_va.img_size, tuple) and sda_va.mean_face.shape == (68, 2) and sda_va.mean_face.dtype == np.float32


def test_speech_and_returned_audio(sda_va, sda_case):
    speech = sda_va.speech(sda_case["audio"], int(sda_case["fs"]))
    assert speech.dtype == np.float32 and speech.shape == (sda_case["speech"].shape[0],)
    np.testing.assert_array_equal(speech, sda_case["speech"][:, 0])
    np.testing.assert_allclose(speech, sda_case["speech_f64"], atol=1e-6)


def test_windows_exact(sda_va, sda_case):
    assert sda_va.cutting_stride == int(sda_case["cutting_stride"])
    assert sda_va.audio_feat_samples - sda_va.cutting_stride == int(sda_case["pad_samples"])
    windows = cut_windows(torch.from_numpy(sda_case["speech"][:, 0]), sda_va.audio_feat_samples, sda_va.cutting_stride)
    np.testing.assert_array_equal(windows.numpy(), sda_case["audio_feat_seq"][0, :, :, 0])


def test_audio_codes_and_gru(sda_va, sda_case):
    windows = torch.from_numpy(sda_case["audio_feat_seq"][0, :, :, 0])
    with torch.no_grad():
        codes = sda_va.nets.encoder.encode_windows(windows)
    np.testing.assert_allclose(codes.numpy(), sda_case["audio_frame_codes"], atol=TOL, rtol=0)
    z = sda_va.encode_speech(sda_case["speech"][:, 0])
    assert z.shape == sda_case["z"].shape
    np.testing.assert_allclose(z.numpy(), sda_case["z"], atol=TOL, rtol=0)


def test_identity_code_and_skips(sda_va, sda_case):
    np.testing.assert_array_equal(frame_tensor(sda_case["frame"], sda_va.img_size).numpy(), sda_case["frame_tensor"])
    z_id, skips = sda_va.encode_identity(sda_case["frame"])
    np.testing.assert_allclose(z_id.numpy(), sda_case["z_id"], atol=TOL, rtol=0)
    assert [list(s.shape) for s in skips] == sda_case["skip_shapes"].tolist()
    for i, s in enumerate(skips):
        np.testing.assert_allclose(s.numpy(), sda_case[f"skip_{i}"], atol=TOL, rtol=0)
    # The generator sees them deepest first, one per frame (broadcast, not copied).
    t = sda_case["z"].shape[1]
    assert [[1, t, *s.shape[1:]] for s in skips[::-1]] == sda_case["gen_skip_shapes"].tolist()


def test_noise_draw_and_noise_gru(sda_va, sda_case):
    t = sda_case["z"].shape[1]
    np.testing.assert_array_equal(draw_noise(t, sda_va.aux_latent, int(sda_case["noise_seed"])).numpy(), sda_case["noise"])
    torch.manual_seed(int(sda_case["noise_seed"]))            # the original's way: global RNG
    np.testing.assert_array_equal(draw_noise(t, sda_va.aux_latent).numpy(), sda_case["noise"])
    with torch.no_grad():
        gru_out = sda_va.nets.generator.rnn_noise(torch.from_numpy(sda_case["noise"]))[0]
    np.testing.assert_allclose(gru_out.numpy(), sda_case["noise_gru_out"], atol=TOL, rtol=0)


def test_generator_from_fixture_codes(sda_va, sda_case):
    gen = sda_va.nets.generator
    skips = [torch.from_numpy(sda_case["skip_0"]), torch.from_numpy(sda_case["skip_1"])]
    with torch.no_grad():
        aux = gen.noise_sequence(torch.from_numpy(sda_case["noise"]))
        t = aux.shape[1]
        latent = torch.cat([torch.from_numpy(sda_case["z"])[0], aux[0], torch.from_numpy(sda_case["z_id"]).expand(t, -1)], 1)
        out = gen.frames(latent, skips[::-1])
    np.testing.assert_allclose(out.numpy(), sda_case["gen_out"], atol=TOL, rtol=0)


@pytest.mark.parametrize("noise_kind", ["seed", "array"])
def test_full_call(sda_va, sda_case, noise_kind):
    noise = int(sda_case["noise_seed"]) if noise_kind == "seed" else sda_case["noise"]
    video, audio_out = sda_va(sda_case["frame"], sda_case["audio"], fs=int(sda_case["fs"]), aligned=True, noise=noise)
    assert video.dtype == np.float32 and video.shape == sda_case["video"].shape
    np.testing.assert_allclose(video, sda_case["video"], atol=2e-3, rtol=0)
    assert 0 <= video.min() and video.max() <= 250
    assert audio_out.dtype == np.int16 and audio_out.shape == sda_case["returned_audio"].shape
    np.testing.assert_array_equal(audio_out, sda_case["returned_audio"])


def test_chunking_does_not_change_results(fixtures_dir, sda_case):
    small = SdaModel(fixtures_dir / "sda" / "tiny.dat", device="cpu", chunk_frames=7)
    video, _ = small(sda_case["frame"], sda_case["audio"], fs=int(sda_case["fs"]), aligned=True, noise=sda_case["noise"])
    np.testing.assert_allclose(video, sda_case["video"], atol=2e-3, rtol=0)


def test_fast_path_within_tolerance(fixtures_dir, sda_case):
    fast = SdaModel(fixtures_dir / "sda" / "tiny.dat", device="cpu", fast=True)
    video, _ = fast(sda_case["frame"], sda_case["audio"], fs=int(sda_case["fs"]), aligned=True, noise=sda_case["noise"])
    np.testing.assert_allclose(video, sda_case["video"], atol=2e-3, rtol=0)
    np.testing.assert_allclose((video - 125) / 125, sda_case["gen_out"], atol=TOL, rtol=0)
