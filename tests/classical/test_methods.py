"""Classical matting methods on a synthetic composite with a known alpha (64x80, soft disc edge)."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.classical import METHODS, MethodSpec, get_method, run_method
from matting_studio.core.errors import Cancelled, MethodError, TrimapError
from matting_studio.core.progress import CancelToken

# Mean / max absolute alpha error over the unknown band, measured (cf 0.0009/0.005, knn 0.055/0.14,
# rw 0.047/0.37, lkm 0.004/0.017, lbdm 0.0009/0.005) and bounded with margin.
ERROR_BOUNDS = {
    "cf": (0.005, 0.02),
    "knn": (0.08, 0.2),
    "rw": (0.07, 0.45),
    "lkm": (0.01, 0.04),
    "lbdm": (0.005, 0.02),
}


def test_registry_lists_the_five_methods():
    assert set(METHODS) == set(ERROR_BOUNDS)
    for name, spec in METHODS.items():
        assert isinstance(spec, MethodSpec) and spec.name == name and callable(spec.fn)
        assert spec.label and spec.description
        assert get_method(name) is spec


@pytest.mark.parametrize("name", sorted(ERROR_BOUNDS))
def test_method_recovers_known_alpha(name, synthetic_composite):
    d = synthetic_composite
    alpha = run_method(name, d["image"], d["trimap"])
    assert alpha.shape == d["alpha"].shape and alpha.dtype == np.float32
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    unknown = d["trimap"] == 0.5
    err = np.abs(alpha - d["alpha"])[unknown]
    mean_bound, max_bound = ERROR_BOUNDS[name]
    assert err.mean() < mean_bound, f"{name}: mean error {err.mean():.4f}"
    assert err.max() < max_bound, f"{name}: max error {err.max():.4f}"
    known = ~unknown
    np.testing.assert_array_equal(alpha[known], d["trimap"][known])


@pytest.mark.parametrize("name", sorted(ERROR_BOUNDS))
def test_progress_increases_to_one(name, synthetic_composite):
    d = synthetic_composite
    calls: list[tuple[float, str]] = []
    run_method(name, d["image"], d["trimap"], progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert len(fractions) >= 3
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert all(b >= a for a, b in zip(fractions, fractions[1:])), fractions
    assert fractions[-1] == pytest.approx(1.0)
    assert all(isinstance(m, str) for _, m in calls)


@pytest.mark.parametrize("name", sorted(ERROR_BOUNDS))
@pytest.mark.parametrize("fast", [False, True])
def test_cancel_from_progress_raises_promptly(name, fast, synthetic_composite):
    d = synthetic_composite
    token = CancelToken()
    calls: list[float] = []

    def progress(fraction, message):
        calls.append(fraction)
        token.cancel()

    with pytest.raises(Cancelled):
        run_method(name, d["image"], d["trimap"], fast=fast, progress=progress, cancel=token)
    # cancelled at the next check: after the first report, never reaching the end
    assert 1 <= len(calls) <= 3 and max(calls) < 1.0


def test_cancel_inside_cg_propagates(synthetic_composite):
    """Cancellation raised by the conjugate-gradient callback (mid-solve) leaves the solver as Cancelled."""
    d = synthetic_composite
    token = CancelToken()
    solving: list[float] = []

    def progress(fraction, message):
        if message == "Solving":
            solving.append(fraction)
            if fraction > 0.3:  # a residual-based report: we are inside CG iterations
                token.cancel()

    with pytest.raises(Cancelled):
        run_method("knn", d["image"], d["trimap"], progress=progress, cancel=token)
    assert solving and max(solving) < 1.0


def test_already_cancelled_token_raises_before_work(synthetic_composite):
    d = synthetic_composite
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_method("cf", d["image"], d["trimap"], cancel=token)


def test_unknown_method_names_valid_ones():
    with pytest.raises(MethodError) as info:
        get_method("magic")
    for name in METHODS:
        assert name in str(info.value)
    with pytest.raises(MethodError):
        run_method("magic", np.zeros((4, 4, 3), np.float32), np.full((4, 4), 0.5, np.float32))


def test_trimap_of_wrong_size_is_rejected(synthetic_composite):
    d = synthetic_composite
    with pytest.raises(TrimapError):
        run_method("cf", d["image"], d["trimap"][:-1])


def test_trimap_without_unknown_region_is_rejected(synthetic_composite):
    d = synthetic_composite
    with pytest.raises(TrimapError):
        run_method("cf", d["image"], (d["alpha"] > 0.5).astype(np.float32))


def test_image_of_wrong_shape_is_rejected(synthetic_composite):
    d = synthetic_composite
    with pytest.raises(MethodError):
        run_method("cf", d["image"][..., 0], d["trimap"])


def test_uint8_trimap_is_accepted(synthetic_composite):
    d = synthetic_composite
    tri8 = np.where(d["trimap"] == 1.0, 255, np.where(d["trimap"] == 0.0, 0, 128)).astype(np.uint8)
    np.testing.assert_allclose(run_method("cf", d["image"], tri8), run_method("cf", d["image"], d["trimap"]),
                               atol=1e-6)


@pytest.mark.parametrize("name", sorted(ERROR_BOUNDS))
def test_small_image_works(name, synthetic_composite):
    """A 20x24 crop (smaller than the large kernel's default 21x21 window needs) still gives a matte."""
    d = synthetic_composite
    image, trimap = d["image"][22:42, 28:52], d["trimap"][22:42, 28:52].copy()
    trimap[0, 0] = 0.0  # some known background
    alpha = run_method(name, image, trimap)
    assert alpha.shape == (20, 24) and np.isfinite(alpha).all()
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    assert alpha[0, 0] == 0.0 and alpha[trimap == 1.0].min() == 1.0


def test_large_kernel_rejects_tiny_image():
    image = np.full((4, 9, 3), 0.5, np.float32)
    trimap = np.full((4, 9), 0.5, np.float32)
    trimap[:, 0], trimap[:, -1] = 0.0, 1.0
    with pytest.raises(MethodError):
        run_method("lkm", image, trimap)


@pytest.mark.parametrize("name", list(METHODS))
@pytest.mark.parametrize("known", [0.0, 1.0])
def test_a_trimap_with_one_kind_of_known_pixel_gets_that_value_everywhere(name, known):
    """A refine-edge crop beside the subject holds background and unknown only: Random Walk (pymatting) used to
    raise ValueError there; every method now gives the one known value."""
    image = np.random.default_rng(0).random((40, 50, 3)).astype(np.float32)
    trimap = np.full((40, 50), known, np.float32)
    trimap[10:30, 10:40] = 0.5
    for fast in (False, True):
        alpha = run_method(name, image, trimap, fast=fast)
        assert alpha.dtype == np.float32 and np.array_equal(alpha, np.full((40, 50), known, np.float32))
