"""Global alignment: a known shift is recovered; warping by it brings the frames together."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from matting_studio.video.align import estimate_shift, warp


@pytest.fixture
def texture(rng):
    return cv2.GaussianBlur(rng.random((180, 320)).astype(np.float32), (0, 0), 2.0)


@pytest.mark.parametrize("shift", [(5.0, -3.0), (-12.5, 7.25), (0.0, 0.0)])
def test_known_shift_is_recovered(texture, shift):
    moved = warp(texture, shift)
    dx, dy = estimate_shift(texture, moved)
    assert (dx, dy) == pytest.approx(shift, abs=0.25)
    back = warp(moved, (-dx, -dy))
    inner = (slice(20, -20), slice(20, -20))
    assert np.abs(back[inner] - texture[inner]).mean() < 0.01
    if shift != (0.0, 0.0):
        assert np.abs(moved[inner] - texture[inner]).mean() > 0.02


def test_shift_survives_a_moving_subject_and_noise(texture, rng):
    moved = warp(texture, (4.0, 2.0)) + rng.normal(0, 0.02, texture.shape).astype(np.float32)
    moved[60:120, 100:160] = 1.0  # a subject that is not where it was
    assert estimate_shift(texture, moved) == pytest.approx((4.0, 2.0), abs=0.75)


def test_unrelated_frames_give_no_shift(rng):
    a = np.zeros((64, 64), np.float32)
    assert estimate_shift(a, rng.random((64, 64)).astype(np.float32)) == (0.0, 0.0)
