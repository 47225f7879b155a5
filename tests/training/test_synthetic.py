"""Procedural foregrounds with exact alpha (hair, fur, foliage, lace, veils), look-alike and generated backgrounds."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from matting_studio.training import synthetic
from matting_studio.training.synthetic import (SCENES, defocus, lookalike_background, procedural_background,
                                               see_through, synthetic_foreground)


def test_synthetic_foregrounds_are_deterministic_with_soft_pixels():
    fg1, a1 = synthetic_foreground(64, seed=3)
    fg2, a2 = synthetic_foreground(64, seed=3)
    assert np.array_equal(a1, a2) and np.array_equal(fg1, fg2)
    assert fg1.shape == (64, 64, 3) and a1.shape == (64, 64)
    soft = [((a > 0.05) & (a < 0.95)).mean() for _, a in (synthetic_foreground(64, s) for s in range(6))]
    assert max(soft) > 0.01
    assert not np.array_equal(a1, synthetic_foreground(64, seed=4)[1])


@pytest.mark.parametrize("seed", range(6))
def test_see_through_opens_many_small_holes_inside_the_shape_only(seed):
    shape = np.zeros((96, 96), np.float32)
    shape[16:80, 16:80] = 1.0
    out = see_through(shape, np.random.default_rng(seed))
    inside = out[16:80, 16:80]
    assert out[shape == 0].max() == 0 and 0 <= out.min() and out.max() <= 1
    holes = inside < 0.05
    assert 0.05 < holes.mean() < 0.9 and (inside > 0.95).mean() > 0.02
    n_holes, _ = cv2.connectedComponents(holes.astype(np.uint8), connectivity=4)
    assert n_holes - 1 >= 4  # several separate openings, not one cut
    assert ((inside > 0.05) & (inside < 0.95)).any()  # anti-aliased edges


def test_lookalike_background_puts_a_darker_shifted_copy_of_the_subject_behind_it():
    fg = np.zeros((64, 64, 3), np.float32)
    fg[..., 1] = 0.8  # a green subject
    alpha = np.zeros((64, 64), np.float32)
    alpha[20:44, 20:44] = 1.0
    bg = np.zeros((64, 64, 3), np.float32)
    bg[..., 2] = 1.0  # on blue
    for seed in range(5):
        out = lookalike_background(fg, alpha, bg, np.random.default_rng(seed))
        assert out.shape == bg.shape and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
        green = out[..., 1] > 0.2
        # the copy is the subject's colour, darker, and covers about the subject's area (shifted, blurred)
        assert 0.5 < green.sum() / (alpha > 0.5).sum() < 1.5
        assert 0.8 * 0.4 < out[..., 1].max() <= 0.8 * 0.9 + 1e-6
        # a composite of one uniformly shaded copy over the background: green = shade · 0.8 · (1 − blue)
        cover = 1 - out[..., 2]
        shade = out[..., 1][cover > 0.5] / (0.8 * cover[cover > 0.5])
        assert np.ptp(shade) < 1e-4 and 0.45 - 1e-4 <= shade.mean() <= 0.9 + 1e-4
    shifted = [np.argwhere(lookalike_background(fg, alpha, bg, np.random.default_rng(s))[..., 1] > 0.4).mean(0)
               for s in range(5)]
    assert max(np.abs(c - 31.5).max() for c in shifted) >= 2  # moved, not in place


def test_defocus_widens_the_edge_smoothly_and_keeps_the_subject_colour():
    alpha = np.zeros((80, 80), np.float32)
    alpha[20:60, 20:60] = 1.0
    fg = np.zeros((80, 80, 3), np.float32)
    fg[20:60, 20:60] = [0.9, 0.3, 0.1]  # the colour is only defined where alpha > 0
    for seed in range(4):
        fg_b, alpha_b = defocus(fg, alpha, np.random.default_rng(seed))
        assert fg_b.shape == fg.shape and alpha_b.shape == alpha.shape and fg_b.dtype == alpha_b.dtype == np.float32
        soft = (alpha_b > 0.01) & (alpha_b < 0.99)
        assert soft.sum() > 4 * ((alpha > 0.01) & (alpha < 0.99)).sum() + 400  # a ramp several pixels wide
        assert abs(alpha_b.sum() - alpha.sum()) < 0.01 * alpha.sum()  # blurred, not grown or shrunk
        assert np.abs(fg_b[alpha_b > 0.05] - [0.9, 0.3, 0.1]).max() < 1e-3  # premultiplied: no dark fringe
        assert np.abs(np.diff(alpha_b[40])).max() < 0.25  # smooth across the edge

def test_layers_composite_front_over_back_exactly():
    rng = np.random.default_rng(0)
    layers = synthetic._Layers(16)
    back, front = rng.random((16, 16, 3)).astype(np.float32), rng.random((16, 16, 3)).astype(np.float32)
    a_back, a_front = rng.random((16, 16)).astype(np.float32), rng.random((16, 16)).astype(np.float32)
    layers.over(back, a_back)
    layers.over(front, a_front)
    fg, alpha = layers.result(np.zeros((16, 16, 3), np.float32))
    bg = rng.random((16, 16, 3)).astype(np.float32)
    two_steps = a_front[..., None] * front + (1 - a_front[..., None]) * (a_back[..., None] * back
                                                                        + (1 - a_back[..., None]) * bg)
    assert np.allclose(alpha[..., None] * fg + (1 - alpha[..., None]) * bg, two_steps, atol=1e-4)


def test_every_scene_is_drawn_and_each_is_deterministic():
    drawn = set()
    for seed in range(60):
        rng = np.random.default_rng(seed)
        drawn.add(SCENES[int(rng.integers(0, len(SCENES)))])
    assert drawn == set(SCENES)
    for scene in SCENES:
        fg1, a1 = synthetic_foreground(96, seed=7, scene=scene)
        fg2, a2 = synthetic_foreground(96, seed=7, scene=scene)
        assert np.array_equal(a1, a2) and np.array_equal(fg1, fg2)
        assert a1.dtype == fg1.dtype == np.float32 and 0 <= a1.min() and a1.max() <= 1 and a1.max() > 0.3
    with pytest.raises(ValueError, match="Unknown synthetic scene"):
        synthetic_foreground(32, seed=0, scene="clouds")


def _soft_far_from_core(alpha: np.ndarray, distance: float) -> float:
    """The share of partial-alpha pixels more than ``distance`` px from the opaque core."""
    core = (alpha > 0.98).astype(np.uint8)
    far = cv2.distanceTransform(1 - core, cv2.DIST_L2, 5) > distance
    soft = (alpha > 0.05) & (alpha < 0.9)
    return float((soft & far).sum() / max(1, soft.sum()))


def test_hair_reaches_far_from_the_body_with_thin_partial_strands():
    far = [_soft_far_from_core(synthetic_foreground(160, s, "hair")[1], 16) for s in range(8)]
    assert np.median(far) > 0.08 and max(far) > 0.2  # strands and flyaways, not only an outline (≈ 0)
    for s in range(4):  # thin: most strand pixels are partial (sub-pixel width), not a solid band
        alpha = synthetic_foreground(160, s, "hair")[1]
        outside = cv2.distanceTransform(1 - (alpha > 0.98).astype(np.uint8), cv2.DIST_L2, 5) > 16
        drawn = alpha[outside & (alpha > 0.05)]
        assert drawn.size > 50 and (drawn < 0.9).mean() > 0.5


def test_fur_is_short_dense_strands_along_the_whole_edge():
    for s in range(4):
        alpha = synthetic_foreground(160, s, "fur")[1]
        soft = (alpha > 0.05) & (alpha < 0.9)
        dist = cv2.distanceTransform(1 - (alpha > 0.98).astype(np.uint8), cv2.DIST_L2, 5)
        assert soft.sum() > 200 and np.percentile(dist[soft], 90) < 20  # dense and short


def test_foliage_is_many_separate_leaves_with_background_between():
    for s in range(4):
        alpha = synthetic_foreground(192, s, "foliage")[1]
        n, _ = cv2.connectedComponents((alpha > 0.5).astype(np.uint8))
        assert n - 1 >= 3
        ys, xs = np.nonzero(alpha > 0.5)
        box = alpha[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        assert (box < 0.05).mean() > 0.3  # gaps inside the plant's extent


def test_veils_smoke_and_glass_are_wide_smooth_semi_transparency():
    mid = [((a > 0.08) & (a < 0.8)).mean() for a in (synthetic_foreground(128, s, "veil")[1] for s in range(8))]
    assert np.median(mid) > 0.05  # a large area, not an anti-aliased edge
    gradient = [np.abs(np.diff(synthetic_foreground(128, s, "veil")[1], axis=1)).mean() for s in range(8)]
    assert np.median(gradient) < 0.05


def test_lace_opens_holes_in_the_subject():
    for s in range(6):  # relative to the layer's opacity: lace may itself be semi-transparent
        alpha = synthetic_foreground(128, s, "lace")[1]
        top = alpha.max()
        filled = cv2.morphologyEx((alpha > 0.5 * top).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
        holes = filled.astype(bool) & (alpha < 0.35 * top)
        assert holes.sum() > 0.02 * filled.sum()


def test_procedural_backgrounds_are_varied_in_range_and_deterministic():
    images = [procedural_background(64, np.random.default_rng(s)) for s in range(12)]
    assert all(i.shape == (64, 64, 3) and i.dtype == np.float32 and 0 <= i.min() and i.max() <= 1 for i in images)
    assert np.array_equal(images[3], procedural_background(64, np.random.default_rng(3)))
    assert np.ptp([i.std() for i in images]) > 0.05  # flat gradients and busy patterns both occur
    assert min(np.abs(a - b).mean() for k, a in enumerate(images) for b in images[k + 1:]) > 0.01
