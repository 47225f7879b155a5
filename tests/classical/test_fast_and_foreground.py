"""Fast mode (crop + reduced-scale solve) against the plain solve, and foreground colour estimation."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from matting_studio.classical import estimate_foreground, run_method
from matting_studio.classical._solver import check_inputs, solve_alpha
from matting_studio.classical.fast_matting import downscale_trimap, fast_alpha, unknown_crop
from matting_studio.core.errors import Cancelled, MethodError
from matting_studio.core.progress import CancelToken


@pytest.fixture(scope="module")
def large_composite():
    """300x400 composite: a soft-edged ellipse (ramp ~8 px) off-centre, known alpha, trimap band ~12 px."""
    h, w = 300, 400
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((yy - 170) / 1.0, (xx - 230) / 1.3)
    alpha = np.clip((80.0 - r) / 8.0 + 0.5, 0.0, 1.0).astype(np.float32)
    fg = np.stack([0.8 + 0.15 * xx / w, 0.3 + 0.2 * yy / h, 0.25 + 0.1 * np.sin(xx / 40)], -1)
    bg = np.stack([0.15 + 0.1 * yy / h, 0.35 + 0.2 * xx / w, 0.75 - 0.1 * np.cos(yy / 50)], -1)
    image = (alpha[..., None] * fg + (1 - alpha[..., None]) * bg).astype(np.float32)
    trimap = np.full((h, w), 0.5, np.float32)
    trimap[r < 68] = 1.0
    trimap[r > 92] = 0.0
    return {"image": image, "alpha": alpha, "trimap": trimap, "fg": fg.astype(np.float32)}


def _sad(pred, gt, trimap):
    return float(np.abs(pred - gt)[trimap == 0.5].sum() / 1000.0)


@pytest.mark.parametrize("name", ["cf", "knn", "rw"])
def test_fast_mode_close_to_plain_mode(name, large_composite):
    d = large_composite
    plain = run_method(name, d["image"], d["trimap"])
    fast = run_method(name, d["image"], d["trimap"], fast=True)
    assert fast.shape == plain.shape and fast.dtype == np.float32
    known = d["trimap"] != 0.5
    np.testing.assert_array_equal(fast[known], d["trimap"][known])
    sad_plain, sad_fast = _sad(plain, d["alpha"], d["trimap"]), _sad(fast, d["alpha"], d["trimap"])
    # measured SAD plain/fast: cf 0.017/0.017, rw 0.652/0.652 (local affinities: the crop changes nothing),
    # knn 0.395/0.549 (non-local neighbours change with the crop; max |fast - plain| 0.036)
    assert np.abs(fast - plain).max() < 0.1
    assert sad_fast < 1.5 * sad_plain + 0.05


def test_reduced_scale_solve_stays_close(large_composite):
    """Force the downscaled path (crop larger than max_pixels) and compare with the full-resolution solve."""
    d = large_composite
    image, trimap = check_inputs(d["image"], d["trimap"])
    solve = partial(solve_alpha, "cf")
    full = solve(image, trimap)
    low = fast_alpha(solve, image, trimap, max_pixels=15_000)
    known = trimap != 0.5
    np.testing.assert_array_equal(low[known], trimap[known])
    sad_full, sad_low = _sad(full, d["alpha"], trimap), _sad(low, d["alpha"], trimap)
    # measured on 15.7k unknown pixels: SAD full 0.017, reduced 0.074 (mean error 0.0047 per unknown pixel)
    assert sad_low < sad_full + 0.2
    assert np.abs(low - d["alpha"])[~known].mean() < 0.01


def test_unknown_crop_has_margin_and_downscale_is_conservative(large_composite):
    trimap = large_composite["trimap"]
    rows, cols = unknown_crop(trimap, margin=5)
    ys, xs = np.nonzero(trimap == 0.5)
    assert rows.start == max(0, ys.min() - 5) and rows.stop == min(300, ys.max() + 6)
    assert cols.start == max(0, xs.min() - 5) and cols.stop == min(400, xs.max() + 6)
    small = downscale_trimap(trimap, (100, 75))
    assert set(np.unique(small)) <= {0.0, 0.5, 1.0}
    # every small pixel marked known covers only known pixels of that value (4x4 blocks here)
    blocks = trimap.reshape(75, 4, 100, 4)
    assert (blocks.min(axis=(1, 3))[small == 1.0] == 1.0).all()
    assert (blocks.max(axis=(1, 3))[small == 0.0] == 0.0).all()


def test_estimate_foreground_recovers_colour(synthetic_composite):
    d = synthetic_composite
    fg = estimate_foreground(d["image"], d["alpha"])
    assert fg.shape == d["image"].shape and fg.dtype == np.float32
    assert fg.min() >= 0.0 and fg.max() <= 1.0
    band = (d["trimap"] == 0.5) & (d["alpha"] > 0.05)
    err = np.abs(fg - d["fg"])[band]
    # measured: mean 0.0016, max 0.013
    assert err.mean() < 0.01 and err.max() < 0.05


def test_estimate_foreground_progress_cancel_and_errors(synthetic_composite):
    d = synthetic_composite
    calls: list[float] = []
    estimate_foreground(d["image"], d["alpha"], progress=lambda f, m: calls.append(f))
    assert calls[0] == 0.0 and calls[-1] == pytest.approx(1.0)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        estimate_foreground(d["image"], d["alpha"], cancel=token)
    with pytest.raises(MethodError):
        estimate_foreground(d["image"], d["alpha"][:-1])


def test_reduced_scale_progress_and_cancel(large_composite):
    d = large_composite
    image, trimap = check_inputs(d["image"], d["trimap"])
    solve = partial(solve_alpha, "cf")
    calls: list[tuple[float, str]] = []
    fast_alpha(solve, image, trimap, max_pixels=15_000, progress=lambda f, m: calls.append((f, m)))
    fractions = [f for f, _ in calls]
    assert all(b >= a for a, b in zip(fractions, fractions[1:])) and fractions[-1] == pytest.approx(1.0)
    assert "Upsampling" in [m for _, m in calls]
    token = CancelToken()

    def cancel_on_first(fraction, message):
        token.cancel()

    with pytest.raises(Cancelled):
        fast_alpha(solve, image, trimap, max_pixels=15_000, progress=cancel_on_first, cancel=token)
