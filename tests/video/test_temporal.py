"""The motion gate: smoothing where nothing moves, none where the frame changed."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core.errors import MattingError
from matting_studio.video.temporal import agreement, blend, motion_gate


def test_gate_is_strength_where_still_and_zero_where_moving(rng):
    previous = rng.random((40, 40)).astype(np.float32) * 0.1
    current = previous + rng.normal(0, 0.005, previous.shape).astype(np.float32)  # noise only
    current[:, 20:] += 0.5  # the right half changed
    gate = motion_gate(current, previous, 0.7)
    assert gate[:, :15].min() > 0.5 and gate[:, :15].max() <= 0.7
    assert gate[:, 25:].max() == 0.0
    assert not motion_gate(current, None, 0.7).any()


def test_motion_reaches_a_few_px_beyond_the_luma_change(rng):
    from matting_studio.video.temporal import MOTION_REACH

    previous = np.full((100, 200), 0.5, np.float32)
    current = previous.copy()
    current[:, 100:] += 0.3  # a luma change from column 100 on (flat colour on its left)
    gate = motion_gate(current, previous, 0.9)
    reach = round(MOTION_REACH * 200)
    assert gate[:, 100 - 3 - reach:].max() == 0.0  # moving: the flat side next to the change too (blur 7 → 3 px)
    assert np.allclose(gate[:, :100 - 4 - reach - 3], 0.9)  # still beyond the reach


def test_blend_and_bad_strength():
    prev, cur = np.zeros((4, 4), np.float32), np.ones((4, 4), np.float32)
    np.testing.assert_allclose(blend(prev, cur, np.full((4, 4), 0.25, np.float32)), 0.75)
    assert blend(None, cur, np.zeros((4, 4), np.float32)) is cur
    with pytest.raises(MattingError, match="smoothing strength"):
        motion_gate(cur, prev, 1.0)


def test_agreement_lets_large_changes_through():
    previous = np.zeros((2, 3), np.float32)
    current = np.array([[0.0, 0.05, 0.5], [0.0, 0.05, 1.0]], np.float32)
    weight = agreement(previous, current)
    assert weight[0, 0] == 1.0 and 0.5 < weight[0, 1] < 1.0 and weight[0, 2] == 0.0 and weight[1, 2] == 0.0
    assert not agreement(None, current).any()
