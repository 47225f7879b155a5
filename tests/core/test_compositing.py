"""Compositing maths and backgrounds."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core import compositing as C
from matting_studio.core.errors import MattingError


def test_composite_equation_exact(synthetic_composite):
    s = synthetic_composite
    assert np.allclose(C.composite(s["fg"], s["alpha"], s["bg"]), s["image"], atol=1e-6)
    blue = C.composite(s["fg"], s["alpha"], "#0000ff")
    a = s["alpha"][..., None]
    assert np.allclose(blue, a * s["fg"] + (1 - a) * np.array([0, 0, 1]), atol=1e-6)


def test_rgba_outputs(synthetic_composite):
    s = synthetic_composite
    cut = C.cutout_rgba(s["fg"], s["alpha"])
    pre = C.premultiplied_rgba(s["fg"], s["alpha"])
    assert cut.shape == (64, 80, 4) and np.array_equal(cut[..., 3], s["alpha"])
    assert np.allclose(pre[..., :3], s["fg"] * s["alpha"][..., None])


def test_fill_and_fit_geometry():
    img = np.zeros((100, 200, 3), np.float32)
    img[:, :100] = 1.0  # left half white
    fill = C.image_background(img, (100, 100), "fill")
    assert fill.shape == (100, 100, 3)
    assert np.allclose(fill[:, :45], 1.0) and np.allclose(fill[:, 55:], 0.0)  # centre crop
    fit = C.image_background(img, (100, 100), "fit", fill_color="#ff0000")
    assert np.allclose(fit[0, 50], (1, 0, 0)) and np.allclose(fit[50, 10], 1.0)  # letterbox bars on top/bottom
    with pytest.raises(MattingError):
        C.image_background(img, (10, 10), "stretch")


def test_blurred_background_and_hd():
    rng = np.random.default_rng(0)
    img = rng.random((1080, 1920, 3)).astype(np.float32)
    blurred = C.blurred_background(img)
    assert blurred.shape == img.shape and blurred.std() < 0.2 * img.std()
    alpha = rng.random((1080, 1920)).astype(np.float32)
    assert C.composite(img, alpha, blurred).shape == (1080, 1920, 3)


def test_place_subject_scale_offset_and_clipping():
    fg = np.ones((10, 20, 3), np.float32)
    alpha = np.ones((10, 20), np.float32)
    out_fg, out_a = C.place_subject(fg, alpha, (40, 40))
    assert out_a.sum() == pytest.approx(40 * 20)  # fitted to the width, centred
    _, half = C.place_subject(fg, alpha, (40, 40), scale=0.5)
    assert half.sum() == pytest.approx(20 * 10)
    _, moved = C.place_subject(fg, alpha, (40, 40), scale=0.5, offset=(0.6, 0))
    assert 0 < moved.sum() < half.sum()  # partly off the canvas, clipped
    with pytest.raises(MattingError):
        C.place_subject(fg, alpha, (40, 40), scale=0)


def test_shape_and_colour_errors():
    with pytest.raises(MattingError):
        C.composite(np.zeros((4, 4, 3)), np.zeros((5, 4)), (0, 0, 0))
    with pytest.raises(MattingError):
        C.composite(np.zeros((4, 4, 3)), np.zeros((4, 4)), np.zeros((5, 4, 3)))
    with pytest.raises(MattingError):
        C.parse_color("#12")


def test_decontamination_blends_from_the_photo_colours_to_the_foreground_estimate():
    image = np.full((4, 4, 3), 0.2, np.float32)
    fg = np.full((4, 4, 3), 0.8, np.float32)
    for amount, colour in ((0.0, 0.2), (0.5, 0.5), (1.0, 0.8)):
        assert np.allclose(C.decontaminate(image, fg, amount), colour, atol=1e-6)
    assert C.decontaminate(image, fg, 1.0) is fg  # nothing to blend
    with pytest.raises(C.CompositingError, match="decontamination"):
        C.decontaminate(image, fg, 1.5)
