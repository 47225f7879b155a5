"""Property tests of compositing and the subject's placement (hypothesis, bounded): images in [0, 1] give outputs
in [0, 1] at the requested size, whatever the sizes, offsets and scales; bad requests are CompositingErrors."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matting_studio.core import compositing as C
from matting_studio.core.errors import MattingError

BOUNDED = settings(max_examples=40, deadline=None)
sides = st.integers(1, 40)


def image(rng, h, w, c=3):
    return rng.random((h, w, c) if c else (h, w)).astype(np.float32)


def in_range(arr):
    return np.isfinite(arr).all() and arr.min() >= 0 and arr.max() <= 1


@BOUNDED
@given(h=sides, w=sides, bh=sides, bw=sides, mode=st.sampled_from(["fill", "fit"]), seed=st.integers(0, 999))
def test_composites_on_backgrounds_of_any_size_stay_in_range(h, w, bh, bw, mode, seed):
    rng = np.random.default_rng(seed)
    fg, alpha = image(rng, h, w), image(rng, h, w, 0)
    bg = C.image_background(image(rng, bh, bw), (h, w), mode)
    assert bg.shape == (h, w, 3) and in_range(bg)
    out = C.composite(fg, alpha, bg)
    assert out.shape == (h, w, 3) and in_range(out)
    assert in_range(C.cutout_rgba(fg, alpha)) and in_range(C.premultiplied_rgba(fg, alpha))
    assert in_range(C.blurred_background(fg))


@BOUNDED
@given(h=sides, w=sides, ch=sides, cw=sides, dx=st.floats(-2, 2), dy=st.floats(-2, 2),
       scale=st.floats(-1, 5), seed=st.integers(0, 999))
def test_placing_the_subject_anywhere_keeps_alpha_and_colour_in_range(h, w, ch, cw, dx, dy, scale, seed):
    rng = np.random.default_rng(seed)
    try:
        fg, alpha = C.place_subject(image(rng, h, w), image(rng, h, w, 0), (ch, cw), offset=(dx, dy), scale=scale)
    except MattingError:
        assert scale <= 0
        return
    assert fg.shape == (ch, cw, 3) and alpha.shape == (ch, cw) and in_range(fg) and in_range(alpha)


@BOUNDED
@given(h=sides, w=sides, ah=sides, aw=sides)
def test_mismatched_alpha_is_a_typed_error(h, w, ah, aw):
    rng = np.random.default_rng(0)
    try:
        out = C.composite(image(rng, h, w), image(rng, ah, aw, 0), (0.1, 0.2, 0.3))
    except MattingError:
        assert (ah, aw) != (h, w)
        return
    assert (ah, aw) == (h, w) and in_range(out)
