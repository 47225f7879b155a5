"""Property tests of the trimap parser and the automatic trimap (hypothesis, bounded): any array gives a trimap
of exactly {0, 0.5, 1} at the image's size, or a TrimapError."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from matting_studio.core import trimap as T
from matting_studio.core.errors import TrimapError

BOUNDED = settings(max_examples=60, deadline=None)
VALUES = {T.BACKGROUND, T.UNKNOWN, T.FOREGROUND}

arrays = st.one_of(
    hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=3, max_side=9)),
    hnp.arrays(np.uint16, hnp.array_shapes(min_dims=2, max_dims=2, max_side=9)),
    hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=9),
               elements=st.one_of(st.floats(-2, 3, width=32), st.sampled_from([np.nan, np.inf, -np.inf]))),
)


@BOUNDED
@given(arr=arrays, allow=st.booleans())
def test_any_array_is_a_valid_trimap_or_a_trimap_error(arr, allow):
    shape = arr.shape[:2] if arr.ndim >= 2 else (1, 1)
    try:
        out = T.validate_trimap(arr, shape, allow_fully_known=allow)
    except TrimapError as exc:
        assert "\n" not in str(exc)
        return
    assert out.shape == tuple(shape) and out.dtype == np.float32 and set(np.unique(out)) <= VALUES
    assert allow or not T.is_fully_known(out)


@BOUNDED
@given(mask=hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, max_side=24),
                       elements=st.floats(0, 1, width=32)),
       erode=st.integers(0, 6), dilate=st.integers(0, 6))
def test_automatic_trimaps_keep_to_the_three_values_and_the_mask(mask, erode, dilate):
    out = T.trimap_from_mask(mask, erode=erode, dilate=dilate)
    assert out.shape == mask.shape and set(np.unique(out)) <= VALUES
    assert (mask[out == T.FOREGROUND] >= T.MASK_THRESHOLD).all()
    assert (mask[out == T.BACKGROUND] < T.MASK_THRESHOLD).all()
