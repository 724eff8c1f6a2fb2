"""Face alignment to mean_face (the original `preprocess_img`) with MediaPipe landmarks: the similarity
estimate and warp agree with scikit-image's (which the original used), and the aligned face's eye corners
and nose tip land on the template."""
from __future__ import annotations

import numpy as np
import pytest

from modules.landmarks import detect, ibug_points
from modules.sda import read_sda_file
from modules.sda.align import STABLE_POINTS, align_to_mean_face, similarity_transform, warp_affine

skimage_transform = pytest.importorskip("skimage.transform")


def test_similarity_and_warp_match_skimage(astronaut):
    rng = np.random.default_rng(0)
    src = rng.uniform(100, 400, (5, 2))
    angle, scale, shift = 0.3, 0.4, np.array([-20.0, 15.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ rot.T + shift + rng.normal(0, 1.0, (5, 2))
    ours = similarity_transform(src, dst)
    ref = skimage_transform.estimate_transform("similarity", src, dst)
    np.testing.assert_allclose(ours, ref.params, atol=1e-9)
    warped = (warp_affine(astronaut, ours, (128, 96)) * 255).astype(np.uint8)
    want = (skimage_transform.warp(astronaut, inverse_map=ref.inverse, output_shape=(128, 96)) * 255).astype(np.uint8)
    diff = np.abs(warped.astype(int) - want.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01


def test_aligned_face_lands_on_template(fixtures_dir, astronaut):
    meta, _ = read_sda_file(fixtures_dir / "sda" / "tiny.dat")
    template = meta.mean_face * 8                    # the tiny model's 16x12 template at 128x96
    src = ibug_points(detect(astronaut), STABLE_POINTS)
    matrix = similarity_transform(src, template[list(STABLE_POINTS)])
    moved = src @ matrix[:2, :2].T + matrix[:2, 2]        # where the warp should put the five points
    aligned = align_to_mean_face(astronaut, template, (128, 96))
    assert aligned.shape == (128, 96, 3) and aligned.dtype == np.uint8
    found = detect(aligned)
    assert found is not None
    again = ibug_points(found, STABLE_POINTS)
    assert np.linalg.norm(again - moved, axis=1).max() < 2.5          # the warp goes the right way
    assert np.linalg.norm(again - template[list(STABLE_POINTS)], axis=1).mean() < 3.0   # and fits the template
