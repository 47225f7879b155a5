"""Property tests of the image loader (hypothesis, bounded): any bytes, under any image name, load as RGB float32
in [0, 1] or raise our typed error; arrays of any dtype and shape round-trip through PNG in range."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matting_studio.core import imageio
from matting_studio.core.errors import MattingError

BOUNDED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MAGIC = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"II*\x00", b"RIFF\x00\x00\x00\x00WEBP", b"BM",
         b"\x00\x00\x00\x18ftypheic"]


def _png_bytes(arr: np.ndarray) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.fromarray(arr).save(buffer, "PNG")
    return buffer.getvalue()


def assert_valid(loaded, shape=None):
    rgb = loaded.rgb
    assert rgb.dtype == np.float32 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert np.isfinite(rgb).all() and rgb.min() >= 0 and rgb.max() <= 1
    if shape is not None:
        assert rgb.shape[:2] == shape


@BOUNDED
@given(magic=st.sampled_from(MAGIC), body=st.binary(max_size=400),
       suffix=st.sampled_from(imageio.IMAGE_SUFFIXES))
def test_any_bytes_load_or_raise_a_typed_error(tmp_path, magic, body, suffix):
    path = tmp_path / f"x{suffix}"
    path.write_bytes(magic + body)
    try:
        loaded = imageio.load_image(path)
    except MattingError as exc:
        assert "\n" not in str(exc)
        return
    assert_valid(loaded)


@BOUNDED
@given(h=st.integers(1, 12), w=st.integers(1, 12), cut=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_a_cut_short_png_loads_whole_or_raises_a_typed_error(tmp_path, h, w, cut, seed):
    arr = np.random.default_rng(seed).integers(0, 256, (h, w, 3), np.uint8)
    data = _png_bytes(arr)
    path = tmp_path / "cut.png"
    path.write_bytes(data[: int(len(data) * cut)])
    try:
        loaded = imageio.load_image(path)
    except MattingError:
        return
    assert_valid(loaded, (h, w))


@BOUNDED
@given(h=st.integers(1, 10), w=st.integers(1, 10), channels=st.sampled_from([None, 1, 3, 4]),
       dtype=st.sampled_from(["uint8", "uint16", "float32", "float64", "bool"]), bits=st.sampled_from([8, 16]),
       seed=st.integers(0, 2**16))
def test_saved_arrays_load_back_in_range_at_their_size(tmp_path, h, w, channels, dtype, bits, seed):
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels is None else (h, w, channels)
    if dtype == "bool":
        arr = rng.random(shape) > 0.5
    elif dtype.startswith("uint"):
        arr = rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
    else:
        arr = (rng.random(shape) * 1.4 - 0.2).astype(dtype)  # a little outside [0, 1]: clipped
    path = imageio.save_png(tmp_path / "a.png", arr, bits=bits, overwrite=True)
    loaded = imageio.load_image(path)
    assert_valid(loaded, (h, w))
    if channels == 4:
        assert loaded.alpha is not None and loaded.alpha.shape == (h, w)
