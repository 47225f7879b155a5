"""Metrics against hand-computed values (Deep Image Matting conventions)."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core import metrics as M
from matting_studio.core.errors import MattingError

TRI = np.array([[0, 0.5, 0.5, 1]] * 4, np.float32)  # two unknown columns → 8 unknown pixels


def test_sad_and_mse_by_hand():
    gt = np.zeros((4, 4), np.float32)
    pred = gt.copy()
    pred[0, 1], pred[1, 2], pred[0, 0] = 0.5, 0.25, 1.0  # (0, 0) is known background: it must not count
    assert M.sad(pred, gt, TRI) == pytest.approx((0.5 + 0.25) / 1000)
    assert M.mse(pred, gt, TRI) == pytest.approx((0.25 + 0.0625) / 8)


def test_zero_for_a_perfect_prediction():
    rng = np.random.default_rng(0)
    gt = rng.random((30, 30)).astype(np.float32)
    tri = np.full((30, 30), 0.5, np.float32)
    assert M.all_metrics(gt, gt, tri) == {"SAD": 0.0, "MSE": 0.0, "Grad": 0.0, "Conn": 0.0}


def test_gradient_error_sees_a_blurred_edge():
    gt = np.zeros((32, 32), np.float32)
    gt[:, 16:] = 1.0
    blurred = np.clip((np.arange(32) - 12) / 8.0, 0, 1)[None].repeat(32, 0).astype(np.float32)
    tri = np.full((32, 32), 0.5, np.float32)
    assert M.gradient_error(blurred, gt, tri) > 0
    assert M.gradient_error(gt, gt, tri) == 0


def test_connectivity_by_hand():
    # gt: a single opaque pixel region connected to the big component; pred: an isolated 0.8 island.
    gt = np.zeros((5, 5), np.float32)
    gt[:, :2] = 1.0
    pred = gt.copy()
    pred[2, 4] = 0.8  # not connected to the left block
    tri = np.full((5, 5), 0.5, np.float32)
    # For pixel (2,4): it never joins the largest component of (pred>=t)&(gt>=t) for t >= 0.1, so its level
    # l = 0. d_pred = 0.8 ≥ 0.15 → φ_pred = 1 − 0.8 = 0.2; d_gt = 0 → φ_gt = 1. |Δφ| = 0.8. Every other pixel
    # has equal φ. Conn = 0.8 / 1000.
    assert M.connectivity_error(pred, gt, tri) == pytest.approx(0.8 / 1000)


def test_bad_inputs():
    with pytest.raises(MattingError):
        M.sad(np.zeros((3, 3)), np.zeros((3, 4)), np.zeros((3, 3)))
    with pytest.raises(MattingError):
        M.mse(np.full((3, 3), 2.0), np.zeros((3, 3)), np.full((3, 3), 0.5))
