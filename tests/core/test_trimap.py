"""Trimaps from soft masks and strokes; validation."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core import trimap as T
from matting_studio.core.errors import TrimapError


def disc(h=100, w=120, r=30):
    yy, xx = np.mgrid[0:h, 0:w]
    return (np.hypot(yy - h / 2, xx - w / 2) < r).astype(np.float32)


def test_band_width_follows_the_radii():
    mask = disc()
    tri = T.trimap_from_mask(mask, erode=5, dilate=8)
    assert set(np.unique(tri)) == {0.0, 0.5, 1.0}
    row = tri[50]  # through the centre: disc spans x = 30..89
    fg = np.nonzero(row == 1.0)[0]
    unknown_right = np.nonzero(row[60:] == 0.5)[0] + 60
    assert abs(fg.max() - (89 - 5)) <= 1
    assert abs(unknown_right.max() - (89 + 8)) <= 1


@pytest.mark.parametrize("radius", [1, 3, 7])
def test_erosion_and_dilation_are_by_a_euclidean_disk(radius):
    rng = np.random.default_rng(radius)
    binary = (rng.random((24, 30)) < 0.7).astype(np.uint8)
    ones = np.argwhere(binary == 1)
    zeros = np.argwhere(binary == 0)
    yy, xx = np.mgrid[0:24, 0:30]
    pixels = np.stack([yy.ravel(), xx.ravel()], 1)
    # brute force: eroded = no 0 within the radius (the border is not a 0); dilated = a 1 within it
    dist_zero = np.sqrt(((pixels[:, None] - zeros[None]) ** 2).sum(-1)).min(1).reshape(24, 30)
    dist_one = np.sqrt(((pixels[:, None] - ones[None]) ** 2).sum(-1)).min(1).reshape(24, 30)
    np.testing.assert_array_equal(T.erode_disk(binary, radius), dist_zero > radius)
    np.testing.assert_array_equal(T.dilate_disk(binary, radius), dist_one <= radius)


def test_default_band_is_relative_to_the_size():
    assert T.default_band((100, 100)) == 3
    assert T.default_band((1080, 1920)) == round(0.01 * np.hypot(1080, 1920))
    small, big = T.trimap_from_mask(disc()), T.trimap_from_mask(disc(400, 480, 120))
    assert (big == 0.5).mean() < 2 * (small == 0.5).mean()  # band scales with the image, not fixed pixels


def test_uncertain_soft_values_are_unknown():
    mask = np.zeros((50, 50), np.float32)
    mask[10:40, 10:40] = 1.0
    mask[20:30, 20:30] = 0.6  # the segmenter is unsure inside the object
    tri = T.trimap_from_mask(mask, band=2)
    assert np.all(tri[22:28, 22:28] == 0.5) and tri[12, 12] == 1.0 and tri[0, 0] == 0.0


def test_strokes_paint_in_order_with_their_radius():
    strokes = [T.Stroke(((5, 5), (25, 5)), 2, 1.0), T.Stroke(((15, 2), (15, 8)), 1, 0.0)]
    tri = T.trimap_from_strokes((20, 30), strokes)
    assert tri[5, 8] == 1.0 and tri[5, 15] == 0.0  # the second stroke wins where they cross
    assert tri[5, 28] == 0.5 and tri[15, 15] == 0.5
    base = np.zeros((20, 30), np.float32)
    assert T.trimap_from_strokes((20, 30), [T.Stroke(((3, 3),), 2, 0.5)], base=base)[3, 3] == 0.5
    with pytest.raises(TrimapError):
        T.trimap_from_strokes((20, 30), [T.Stroke(((3, 3),), 2, 0.7)])


def test_validation_quantises_and_explains():
    raw = np.array([[0, 20, 128], [200, 255, 240]], np.uint8)
    assert T.validate_trimap(raw, (2, 3)).tolist() == [[0.0, 0.0, 0.5], [0.5, 1.0, 1.0]]
    assert T.validate_trimap(np.dstack([raw] * 3), (2, 3)).shape == (2, 3)
    with pytest.raises(TrimapError, match="3x2.*4x2"):
        T.validate_trimap(raw, (2, 4))
    with pytest.raises(TrimapError, match="unknown"):
        T.validate_trimap(np.ones((3, 3)), (3, 3))
    with pytest.raises(TrimapError, match="known"):
        T.validate_trimap(np.full((3, 3), 0.5), (3, 3))
    with pytest.raises(TrimapError):
        T.validate_trimap(np.full((3, 3), 2.0), (3, 3))


def test_fully_known_trimaps_are_refused_unless_allowed():
    solid = np.ones((6, 7), np.float32)
    with pytest.raises(TrimapError, match="no unknown"):
        T.validate_trimap(solid, solid.shape)
    out = T.validate_trimap(solid, solid.shape, allow_fully_known=True)
    assert T.is_fully_known(out) and (out == 1).all()
    assert not T.is_fully_known(np.full((3, 3), 0.5, np.float32))


def test_has_subject_uses_the_mask_threshold():
    mask = np.zeros((5, 5), np.float32)
    assert not T.has_subject(mask)
    mask[2, 2] = T.MASK_THRESHOLD - 1e-3
    assert not T.has_subject(mask)
    mask[2, 2] = T.MASK_THRESHOLD
    assert T.has_subject(mask)
