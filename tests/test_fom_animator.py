"""FomAnimator against the plain per-frame loop written like the original make_animation."""
from __future__ import annotations

from itertools import count, islice

import numpy as np
import pytest
import torch

from modules.fom import FomAnimator, load_checkpoint, prepare_driving, reference_animation


@pytest.fixture(scope="module")
def clip(fom_clip):
    return fom_clip


@pytest.fixture(scope="module")
def reference(fom_tiny, clip):
    kp_detector, generator = load_checkpoint(*fom_tiny)
    source, frames = clip
    out = {}
    for relative in (True, False):
        preds = reference_animation(kp_detector, generator, prepare_driving(source[None], 64),
                                    (prepare_driving(f[None], 64) for f in frames),
                                    relative=relative, adapt_movement_scale=relative)
        out[relative] = torch.cat(list(preds))
    return out


@pytest.fixture(scope="module")
def animator(fom_tiny):
    with FomAnimator(*fom_tiny) as a:
        yield a


@pytest.mark.parametrize("batch_size", [1, 8])
@pytest.mark.parametrize("relative", [True, False])
def test_batched_animator_equals_per_frame_loop(animator, clip, reference, batch_size, relative):
    source, frames = clip
    batches = list(animator.predictions(source, iter(frames), relative=relative, adapt_movement_scale=relative,
                                        batch_size=batch_size))
    assert [len(b) for b in batches] == ([1] * 11 if batch_size == 1 else [8, 3])
    got = torch.cat(batches)
    assert float((got - reference[relative]).abs().max()) <= 1e-4
    # relative motion makes a real difference here, so the comparison above is not vacuous
    assert float((reference[True] - reference[False]).abs().max()) > 1e-2


def test_unfused_animator_equals_per_frame_loop(fom_tiny, clip, reference):
    source, frames = clip
    with FomAnimator(*fom_tiny, fused=False) as plain:
        got = torch.cat(list(plain.predictions(source, frames, batch_size=8)))
    assert float((got - reference[True]).abs().max()) <= 1e-4


def test_animate_yields_rounded_uint8_frames(animator, clip, reference):
    source, frames = clip
    out = list(animator.animate(source, frames, batch_size=4))
    assert len(out) == len(frames)
    assert all(f.shape == (64, 64, 3) and f.dtype == np.uint8 for f in out)
    want = (reference[True] * 255).round().clamp(0, 255).permute(0, 2, 3, 1).numpy()
    assert np.abs(np.stack(out).astype(np.float32) - want).max() <= 1.0


def test_streams_lazily_from_an_endless_iterator(animator, clip):
    source, frames = clip
    pulled = []

    def endless():
        for i in count():
            pulled.append(i)
            yield frames[i % len(frames)]

    first = list(islice(animator.animate(source, endless(), batch_size=4), 5))
    assert len(first) == 5 and len(pulled) == 8          # two batches were read, no more


def test_source_work_is_cached_per_portrait(animator, clip):
    source, _ = clip
    a = animator.prepare(source)
    assert animator.prepare(source.copy()) is a
    other = animator.prepare(np.ascontiguousarray(source[::-1]))
    assert other is not a and not torch.equal(other.encoded, a.encoded)


def test_driving_initial_sets_the_reference_frame(animator, clip):
    """Relative motion from a chosen initial frame: driving with that frame reproduces the source keypoints,
    so its output equals the frame-0 output of a clip that starts with it."""
    source, frames = clip
    starts_at_3 = torch.cat(list(animator.predictions(source, frames[3:5])))
    chosen = torch.cat(list(animator.predictions(source, frames[3:5], driving_initial=frames[3])))
    default = torch.cat(list(animator.predictions(source, frames[:2])))
    assert float((chosen - starts_at_3).abs().max()) <= 1e-5
    assert float((chosen[0] - default[0]).abs().max()) <= 1e-4   # both are "no motion" frames


def test_wrong_source_size_and_unloaded_use_are_errors(fom_tiny, clip):
    source, frames = clip
    with FomAnimator(*fom_tiny) as a:
        with pytest.raises(ValueError, match="64x64x3 uint8"):
            a.prepare(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(RuntimeError, match="context manager"):
        list(a.animate(source, frames))


@pytest.mark.parametrize("setting, relative", [("rel_adapt", True), ("abs", False)])
def test_default_fused_animator_reproduces_the_original_make_animation(fom_tiny, fixtures_dir, setting, relative):
    """The path every render takes (fused models, batched, source-side work once) against the original's
    `make_animation` outputs directly, not through another implementation of ours."""
    import torch
    case = np.load(fixtures_dir / "fom" / "case-tiny.npz")
    source = torch.from_numpy(case["source"])
    driving = torch.from_numpy(case["driving"][0].transpose(1, 0, 2, 3).copy())    # (T, 3, H, W)
    with FomAnimator(*fom_tiny) as animator:
        assert animator.fused
        got = animator.predict_tensors(source, driving, relative=relative, adapt_movement_scale=relative)
    want = case[f"{setting}__prediction"]
    assert got.shape == want.shape
    assert float(np.abs(got.numpy() - want).max()) <= 1e-4          # the fixture README's prediction tolerance
