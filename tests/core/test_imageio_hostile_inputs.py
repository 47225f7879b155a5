"""The hostile-input corpus through the image loader: each file loads as RGB float32 in [0, 1] of the right
size, or is refused with a typed one-line error naming it."""

from __future__ import annotations

import numpy as np
import pytest

from hostile_inputs import Case
from matting_studio.core import imageio
from matting_studio.core.errors import ImageReadError


def test_the_corpus_is_complete(hostile_corpus):
    assert len(hostile_corpus) >= 25


@pytest.mark.parametrize("name", ["zero_bytes", "truncated_jpeg", "truncated_png", "text_named_jpg", "header_60000",
                                  "directory_named_png", "jpeg_named_png", "one_pixel", "one_by_4000",
                                  "eight_by_eight", "gray16_png", "rgb16_png", "gray16_tiff", "rgb16_tiff",
                                  "float_tiff_nan", "cmyk_jpeg", "palette_transparency", "la", "rgba",
                                  "exif_orientation_6", "animated_gif", "animated_webp", "heic", "bmp", "noise",
                                  "unicode_and_spaces"])
def test_each_file_loads_or_is_refused_clearly(hostile_corpus, name):
    if name not in hostile_corpus:
        pytest.skip(f"no encoder for '{name}' on this machine")
    case: Case = hostile_corpus[name]
    if not case.loads:
        with pytest.raises(ImageReadError) as info:
            imageio.load_image(case.path)
        message = str(info.value)
        assert case.path.name in message and "\n" not in message
        return
    loaded = imageio.load_image(case.path)
    assert loaded.rgb.shape == (*case.shape, 3) and loaded.rgb.dtype == np.float32
    assert np.isfinite(loaded.rgb).all() and 0 <= loaded.rgb.min() and loaded.rgb.max() <= 1
    if loaded.alpha is not None:
        assert loaded.alpha.shape == case.shape and 0 <= loaded.alpha.min() and loaded.alpha.max() <= 1
