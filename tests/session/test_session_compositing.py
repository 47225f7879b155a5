"""Compositing options are data; the composite never silently falls back to another background."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core.compositing import CompositingError, composite
from matting_studio.session import BackgroundMode, CompositeOptions, render_composite
from matting_studio.session.compositing import Anchor


def test_each_mode(synthetic_composite):
    s = synthetic_composite
    out = render_composite(s["image"], s["alpha"], s["fg"], CompositeOptions(color=(0.0, 0.0, 1.0)))
    assert np.allclose(out, composite(s["fg"], s["alpha"], (0.0, 0.0, 1.0)), atol=1e-6)
    rgba = render_composite(s["image"], s["alpha"], s["fg"], CompositeOptions(mode=BackgroundMode.TRANSPARENT))
    assert rgba.shape == s["image"].shape[:2] + (4,) and np.allclose(rgba[..., 3], s["alpha"])
    bg = np.zeros((10, 12, 3), np.float32)
    on_black = render_composite(s["image"], s["alpha"], s["fg"], CompositeOptions(mode=BackgroundMode.IMAGE, background=bg))
    assert np.allclose(on_black, s["fg"] * s["alpha"][..., None], atol=1e-6)
    blurred = render_composite(s["image"], s["alpha"], s["fg"], CompositeOptions(mode=BackgroundMode.BLURRED))
    assert blurred.shape == s["image"].shape


def test_an_image_background_without_an_image_is_an_error(synthetic_composite):
    s = synthetic_composite
    with pytest.raises(CompositingError, match="background image"):
        render_composite(s["image"], s["alpha"], s["fg"], CompositeOptions(mode=BackgroundMode.IMAGE))


def test_the_bottom_anchor_stands_the_subject_on_the_bottom_edge(synthetic_composite):
    s = synthetic_composite
    h = s["alpha"].shape[0]
    options = CompositeOptions(mode=BackgroundMode.TRANSPARENT, scale=0.5)
    centred = render_composite(s["image"], s["alpha"], s["fg"], options)[..., 3]
    bottom = render_composite(s["image"], s["alpha"], s["fg"], CompositeOptions(
        mode=BackgroundMode.TRANSPARENT, scale=0.5, anchor=Anchor.BOTTOM))[..., 3]
    rows = lambda a: np.nonzero(a.max(axis=1) > 0.01)[0]  # noqa: E731
    assert rows(centred).max() < h - 10  # the scaled subject floats in the middle ...
    shift = (h - round(h * 0.5)) // 2
    assert rows(bottom).max() == rows(centred).max() + shift  # ... and the bottom anchor moves it down to the edge
    assert np.isclose(bottom.sum(), centred.sum(), rtol=1e-3)


def test_cutout_views_show_the_result_on_each_backdrop():
    from matting_studio.session import CutoutView, cutout_view

    image = np.full((2, 2, 3), 0.4, np.float32)
    fg = np.full((2, 2, 3), 0.8, np.float32)
    alpha = np.array([[1.0, 0.0], [0.5, 0.0]], np.float32)
    assert cutout_view(image, fg, alpha, CutoutView.CHECKERBOARD).shape == (2, 2, 4)
    assert cutout_view(image, fg, alpha, CutoutView.ALPHA) is alpha
    assert np.allclose(cutout_view(image, fg, alpha, CutoutView.BLACK)[..., 0], [[0.8, 0.0], [0.4, 0.0]])
    assert np.allclose(cutout_view(image, fg, alpha, CutoutView.WHITE)[..., 0], [[0.8, 1.0], [0.9, 1.0]])
    overlay = cutout_view(image, fg, alpha, CutoutView.OVERLAY)
    assert np.allclose(overlay[0, 0], 0.4) and overlay[0, 1, 0] > overlay[0, 1, 1]  # cut away: tinted red
