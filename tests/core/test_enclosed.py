"""Enclosed unknown regions: filled as foreground unless the image shows background colours there."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core.enclosed import fill_enclosed_unknown
from matting_studio.core.errors import TrimapError
from matting_studio.core.trimap import BACKGROUND, FOREGROUND, UNKNOWN

SUIT, PATCH, BACK = (0.9, 0.4, 0.1), (0.95, 0.95, 0.95), (0.2, 0.3, 0.7)


def subject_with_two_unsure_blobs():
    """An orange subject with a white patch (white also on its collar) and a real hole showing the blue
    background; the segmenter was unsure of both, so both are unknown in the trimap."""
    h, w = 120, 160
    image = np.empty((h, w, 3), np.float32)
    image[:] = BACK
    image[20:110, 30:130] = SUIT
    image[20:30, 30:130] = PATCH  # the collar: white is a colour of the subject
    image[50:70, 45:65] = PATCH  # the name patch
    image[50:70, 95:115] = BACK  # a hole through the subject
    trimap = np.full((h, w), BACKGROUND, np.float32)
    trimap[16:114, 26:134] = UNKNOWN
    trimap[24:106, 34:126] = FOREGROUND
    trimap[48:72, 43:67] = UNKNOWN
    trimap[48:72, 93:117] = UNKNOWN
    return image, trimap


def test_patch_is_filled_and_the_real_hole_is_kept():
    image, trimap = subject_with_two_unsure_blobs()
    result = fill_enclosed_unknown(trimap, image)
    assert (result.trimap[48:72, 43:67] == FOREGROUND).all() and result.filled[48:72, 43:67].all()
    assert (result.trimap[48:72, 93:117] == UNKNOWN).all() and result.kept[48:72, 93:117].all()
    ring = (trimap == UNKNOWN).copy()
    ring[40:80, 40:120] = False
    assert (result.trimap[ring] == UNKNOWN).all()  # the outer band touches the background: untouched
    assert not (result.filled & result.kept).any()
    unchanged = ~result.filled
    np.testing.assert_array_equal(result.trimap[unchanged], trimap[unchanged])


def test_nothing_enclosed_is_a_no_op_and_bad_shapes_are_errors():
    image, trimap = subject_with_two_unsure_blobs()
    plain = np.where(trimap == UNKNOWN, BACKGROUND, trimap).astype(np.float32)
    result = fill_enclosed_unknown(plain, image)
    np.testing.assert_array_equal(result.trimap, plain)
    assert not result.filled.any() and not result.kept.any()
    with pytest.raises(TrimapError):
        fill_enclosed_unknown(trimap[:50], image)
