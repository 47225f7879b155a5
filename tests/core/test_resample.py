"""Bilinear upsampling evaluated at chosen pixels only."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from matting_studio.core.resample import sample_resized


@pytest.mark.parametrize("src, dst, channels", [((7, 10), (50, 33), 0), ((68, 102), (300, 200), 3),
                                                ((40, 40), (40, 40), 0), ((90, 60), (30, 45), 3)])
def test_values_are_cv2_resizes_at_those_pixels(src, dst, channels):
    rng = np.random.default_rng(0)
    grid = rng.random(src + ((channels,) if channels else ()), dtype=np.float32)
    height, width = dst
    full = cv2.resize(grid, (width, height), interpolation=cv2.INTER_LINEAR)
    rows = np.r_[rng.integers(0, height, 400), 0, height - 1, 0, height - 1]  # the corners clamp to the edge
    cols = np.r_[rng.integers(0, width, 400), 0, width - 1, width - 1, 0]
    got = sample_resized(grid, rows, cols, (width, height))
    assert got.dtype == np.float32 and got.shape == full[rows, cols].shape
    np.testing.assert_allclose(got, full[rows, cols], atol=1e-6)
