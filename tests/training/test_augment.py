"""Augmentation: geometry, colour, two foregrounds, degradations; deterministic per rng, in range."""

from __future__ import annotations

import numpy as np

from matting_studio.training import augment as aug


def disc(s=64):
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    alpha = np.clip((s / 4 - np.hypot(yy - s / 2, xx - s / 2)) / 3 + 0.5, 0, 1).astype(np.float32)
    fg = np.zeros((s, s, 3), np.float32) + np.float32([0.8, 0.4, 0.2])
    return fg, alpha


def test_crop_scale_spans_the_configured_range_log_uniformly():
    cfg = aug.AugmentConfig(scale=(0.5, 2.0))
    rng = np.random.default_rng(0)
    scales = np.array([aug.crop_scale(cfg, rng) for _ in range(2000)])
    assert scales.min() >= 0.5 and scales.max() <= 2.0
    assert abs(np.median(np.log(scales))) < 0.05  # log-uniform: as much zooming in as out


def test_warp_moves_the_subject_and_keeps_alpha_in_range_and_the_pixel_count():
    fg, alpha = disc()
    cfg = aug.AugmentConfig(warp_probability=1.0, rotate_deg=30, perspective=0.05)
    fg2, alpha2 = aug.warp(fg, alpha, cfg, np.random.default_rng(1))
    assert alpha2.shape == alpha.shape and alpha2.min() >= 0 and alpha2.max() <= 1
    assert not np.allclose(alpha2, alpha)
    assert abs(alpha2.sum() - alpha.sum()) < 0.25 * alpha.sum()  # a small perspective, not a different object
    same = aug.warp(fg, alpha, aug.AugmentConfig(warp_probability=0.0), np.random.default_rng(1))
    assert same[1] is alpha


def test_recolour_changes_hue_and_stays_in_range_deterministically():
    fg, _ = disc()
    cfg = aug.AugmentConfig(colour_probability=1.0, hue_deg=40)
    a = aug.recolour(fg, cfg, np.random.default_rng(2))
    b = aug.recolour(fg, cfg, np.random.default_rng(2))
    assert np.array_equal(a, b) and a.min() >= 0 and a.max() <= 1 and not np.allclose(a, fg)


def test_union_of_two_foregrounds_composites_like_the_two_layers():
    fg1, a1 = disc()
    fg2 = np.zeros_like(fg1) + np.float32([0.1, 0.7, 0.3])
    a2 = np.roll(a1, 12, axis=1)
    fg, alpha = aug.union(fg1, a1, fg2, a2)
    bg = np.zeros_like(fg1) + np.float32([0.2, 0.2, 0.9])
    layered = a1[..., None] * fg1 + (1 - a1[..., None]) * (a2[..., None] * fg2 + (1 - a2[..., None]) * bg)
    assert np.allclose(alpha[..., None] * fg + (1 - alpha[..., None]) * bg, layered, atol=1e-5)
    assert alpha.max() <= 1 and np.all(alpha >= np.maximum(a1, a2) - 1e-6)


def test_degrade_keeps_shape_and_range_and_does_nothing_when_switched_off():
    rng = np.random.default_rng(3)
    image = rng.random((48, 40, 3)).astype(np.float32)
    heavy = aug.AugmentConfig(noise_std=0.05, jpeg_probability=1.0, blur_probability=1.0, resample_probability=1.0)
    out = aug.degrade(image, heavy, np.random.default_rng(4))
    assert out.shape == image.shape and out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
    assert np.abs(out - image).mean() > 0.05
    off = aug.AugmentConfig(noise_std=0.0, jpeg_probability=0.0, blur_probability=0.0, resample_probability=0.0)
    assert np.array_equal(aug.degrade(image, off, np.random.default_rng(4)), image)


def test_palette_background_takes_the_subjects_colours():
    from matting_studio.training.synthetic import palette_background

    fg, alpha = disc()
    bg = np.zeros_like(fg) + np.float32([0.1, 0.2, 0.9])
    out = palette_background(fg, alpha, bg, np.random.default_rng(5))
    assert out.shape == bg.shape and out.min() >= 0 and out.max() <= 1
    subject = np.float32([0.8, 0.4, 0.2])
    assert np.linalg.norm(out - subject, axis=-1).mean() < np.linalg.norm(bg - subject, axis=-1).mean() * 0.6


def test_elastic_bends_the_subject_smoothly_keeping_range_and_area():
    fg, alpha = disc(96)
    fg2, alpha2 = aug.elastic(fg, alpha, 0.03, np.random.default_rng(4))
    assert alpha2.shape == alpha.shape and fg2.shape == fg.shape and 0 <= alpha2.min() and alpha2.max() <= 1
    moved = np.abs(alpha2 - alpha)
    assert moved.max() > 0.5 and abs(alpha2.sum() - alpha.sum()) < 0.2 * alpha.sum()
    again = aug.elastic(fg, alpha, 0.03, np.random.default_rng(4))[1]
    assert np.array_equal(alpha2, again)
    assert np.array_equal(aug.elastic(fg, alpha, 0.0, np.random.default_rng(4))[1], alpha)
