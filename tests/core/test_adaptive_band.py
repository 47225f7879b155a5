"""The adaptive unknown band: wide where thin strands stick out of the mask or the mask is unsure, the fixed base
width on smooth edges."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from matting_studio.core.adaptive_band import adaptive_trimap, boundary_levels
from matting_studio.core.errors import TrimapError
from matting_studio.core.trimap import UNKNOWN, default_band, trimap_from_mask


def hairy_disc(h=600, w=600):
    """A dark disc on a light background; 50 straight 2-px strands 30 px long stick out of its top half only (the
    bottom is a smooth edge). Returns (image, mask of the disc without the strands, strands)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx, radius, length = 320.0, 300.0, 140.0, 30.0
    disc = np.hypot(yy - cy, xx - cx) <= radius
    strands = np.zeros((h, w), np.uint8)
    for angle in np.linspace(np.pi * 1.1, np.pi * 1.9, 50):  # upwards (image y grows down)
        ends = [(int(cx + r * np.cos(angle)), int(cy + r * np.sin(angle))) for r in (radius, radius + length)]
        cv2.line(strands, ends[0], ends[1], 1, 2)
    strands = strands.astype(bool) & ~disc
    image = np.where((disc | strands)[..., None], np.float32([0.2, 0.15, 0.1]), np.float32([0.85, 0.85, 0.8]))
    return image.astype(np.float32), disc.astype(np.float32), strands


def test_band_is_wide_on_strands_and_base_wide_on_smooth_edges():
    image, mask, strands = hairy_disc()
    base = default_band(mask.shape)
    boundary, levels = boundary_levels(mask, image)
    top, bottom = levels[:320][boundary[:320]], levels[320:][boundary[320:]]
    assert np.median(top) >= 2 and (bottom == 0).all()
    trimap = adaptive_trimap(mask, image)
    fixed = trimap_from_mask(mask)
    assert (trimap[strands] == UNKNOWN).mean() > 0.9  # strands reach 30 px, the fixed band 8 px
    assert (fixed[strands] == UNKNOWN).mean() < 0.4
    column = trimap[320:, 300]  # straight down through the smooth edge: the base band on either side
    assert abs(int((column == UNKNOWN).sum()) - (2 * base + 1)) <= 2


def test_unsure_mask_widens_the_band():
    image = np.full((200, 200, 3), 0.5, np.float32)  # no image edges at all
    yy, xx = np.mgrid[0:200, 0:200].astype(np.float32)
    sharp = (np.hypot(yy - 100, xx - 100) < 50).astype(np.float32)
    unsure = np.clip((50 - np.hypot(yy - 100, xx - 100)) / 30 + 0.5, 0, 1).astype(np.float32)
    assert (adaptive_trimap(unsure, image) == UNKNOWN).sum() > 2 * (adaptive_trimap(sharp, image) == UNKNOWN).sum()


def test_bad_inputs_are_typed_errors():
    image, mask, _ = hairy_disc()
    with pytest.raises(TrimapError):
        adaptive_trimap(mask[:32], image)
    with pytest.raises(TrimapError):
        adaptive_trimap(mask, image, band=-1)
    with pytest.raises(TrimapError):
        adaptive_trimap(np.zeros((0, 0), np.float32), image)
