"""Smooth, Feather, Contrast and Shift Edge on synthetic mattes with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core.alpha_adjust import AlphaAdjustError, EdgeAdjust, adjust_alpha


def disc(r: float = 20.0, ramp: float = 1.0, size: int = 80) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    return np.clip((r - np.hypot(yy - size / 2, xx - size / 2)) / ramp + 0.5, 0, 1).astype(np.float32)


def test_no_adjustment_is_the_identity():
    a = disc(ramp=4)
    out = adjust_alpha(a, EdgeAdjust())
    assert EdgeAdjust().is_identity and out.dtype == np.float32 and np.array_equal(out, a) and out is not a


def test_feather_turns_a_hard_edge_into_a_ramp_and_keeps_the_mass():
    a = disc()
    soft = adjust_alpha(a, EdgeAdjust(feather=3))
    assert ((soft > 0.05) & (soft < 0.95)).sum() > 3 * ((a > 0.05) & (a < 0.95)).sum()
    assert np.isclose(soft.sum(), a.sum(), rtol=0.01)


def test_contrast_steepens_the_ramp_about_one_half():
    a = disc(ramp=8)
    hard = adjust_alpha(a, EdgeAdjust(contrast=0.75))
    assert ((hard > 0.05) & (hard < 0.95)).sum() < 0.4 * ((a > 0.05) & (a < 0.95)).sum()
    assert np.array_equal(hard > 0.5, a > 0.5)  # the 0.5 contour stays put


@pytest.mark.parametrize("shift", [4, -4])
def test_shift_edge_moves_the_edge_by_that_many_pixels(shift):
    a = disc(r=20)
    moved = adjust_alpha(a, EdgeAdjust(shift=shift))
    radius = np.sqrt((moved > 0.5).sum() / np.pi)
    assert abs(radius - (20 + shift)) < 1.0


def test_smooth_removes_a_thin_spike_and_a_notch():
    a = (disc(r=20) > 0.5).astype(np.float32)
    a[40, 60:70] = 1.0  # a 1-px hair sticking out
    a[38:41, 57:60] = 0.0  # a notch in the edge, 3 px wide
    smooth = adjust_alpha(a, EdgeAdjust(smooth=3))
    assert smooth[40, 65] == 0.0 and smooth[39, 58] == 1.0
    assert abs(int((smooth > 0.5).sum()) - int((disc(r=20) > 0.5).sum())) < 40


def test_bad_settings_and_inputs_raise_typed_errors():
    for bad in (dict(feather=-1), dict(contrast=1.0), dict(shift=500), dict(smooth=1e4)):
        with pytest.raises(AlphaAdjustError):
            EdgeAdjust(**bad)
    with pytest.raises(AlphaAdjustError):
        adjust_alpha(np.zeros((4, 4, 3), np.float32), EdgeAdjust())
    with pytest.raises(AlphaAdjustError):
        adjust_alpha(np.full((4, 4), np.nan, np.float32), EdgeAdjust())
