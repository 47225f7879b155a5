"""Image loading and saving: formats, EXIF orientations, 16 bit, colour modes, alpha, bad files, safe saving.

Every fixture is generated in ``tmp_path``.
"""

from __future__ import annotations

import dataclasses
import os
import struct
import sys
import threading
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from matting_studio.core import imageio
from matting_studio.core.errors import ImageReadError, ImageTooLargeError, ImageWriteError, OutputExistsError

# -- helpers ------------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def raw_png16(arr: np.ndarray, *, exif: bytes = b"") -> bytes:
    """A 16-bit PNG written by hand (no OpenCV/Pillow): gray (H,W), gray+alpha (H,W,2), RGB, RGBA."""
    arr = np.asarray(arr, np.uint16)
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    h, w = arr.shape[:2]
    rows = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))
    header = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    extra = _chunk(b"eXIf", exif) if exif else b""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + extra + _chunk(b"IDAT", zlib.compress(rows))
            + _chunk(b"IEND", b""))


def exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = exif.tobytes()
    return data[6:] if data.startswith(b"Exif\x00\x00") else data


# How a camera stores an upright picture for each EXIF orientation (EXIF 2.3, tag 0x0112): the viewer applies
# the inverse. Written with plain numpy so that it does not share code with the loader.
STORED = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],  # mirrored horizontally
    3: lambda a: a[::-1, ::-1],  # rotated 180
    4: lambda a: a[::-1],  # mirrored vertically
    5: lambda a: np.transpose(a, (1, 0, 2)),  # mirrored along the main diagonal
    6: lambda a: np.rot90(a, 1),  # stored rotated 90 counter-clockwise; viewer turns it clockwise
    7: lambda a: np.rot90(a, 1)[:, ::-1],  # mirrored along the anti-diagonal
    8: lambda a: np.rot90(a, -1),  # stored rotated 90 clockwise
}


def upright_picture(dtype=np.uint8) -> np.ndarray:
    """40x60 with no symmetry: a red block top-left, a green bar along the bottom, a blue dot right."""
    top = 255 if dtype == np.uint8 else 65535
    a = np.zeros((40, 60, 3), dtype)
    a[:12, :18] = (top, 0, 0)
    a[-8:, :] = (0, top, 0)
    a[14:26, 44:56] = (0, 0, top)
    return a


def write_cv2(path: Path, rgb: np.ndarray) -> Path:
    """Write an RGB(A) array with OpenCV (which wants BGR(A))."""
    code = cv2.COLOR_RGBA2BGRA if rgb.shape[2] == 4 else cv2.COLOR_RGB2BGR
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, code))
    return path


@pytest.fixture
def rgb8():
    return (np.random.default_rng(0).random((20, 30, 3)) * 255).astype(np.uint8)


# -- formats ------------------------------------------------------------------------------------------

TWO_COLOURS = np.zeros((16, 24, 3), np.uint8)
TWO_COLOURS[:, :12] = (200, 30, 60)
TWO_COLOURS[:, 12:] = (20, 180, 90)


@pytest.mark.parametrize("suffix,options,tolerance", [
    (".png", {}, 1e-6), (".tif", {}, 1e-6), (".tiff", {"compression": "tiff_lzw"}, 1e-6), (".bmp", {}, 1e-6),
    (".webp", {"lossless": True}, 1e-6), (".gif", {}, 1e-6), (".jpg", {"quality": 95}, None),
    (".jpeg", {"quality": 95}, None),
])
def test_round_trip_per_format(tmp_path, suffix, options, tolerance):
    path = tmp_path / f"x{suffix}"
    Image.fromarray(TWO_COLOURS).save(path, **options)
    loaded = imageio.load_image(path)
    assert loaded.rgb.shape == (16, 24, 3) and loaded.rgb.dtype == np.float32 and loaded.alpha is None
    assert loaded.bit_depth == 8 and loaded.path == path and not loaded.has_alpha
    assert loaded.rgb.flags.c_contiguous and 0.0 <= loaded.rgb.min() and loaded.rgb.max() <= 1.0
    error = np.abs(loaded.rgb - TWO_COLOURS / 255.0)
    if tolerance is not None:
        assert error.max() <= tolerance
    else:  # JPEG: chroma subsampling rings at the colour edge, the flat parts stay close
        assert error.mean() < 0.03 and error[:, :8].max() < 0.04


def test_gif_gives_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (10, 8), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)
    assert Image.open(path).n_frames == 3
    loaded = imageio.load_image(path)
    assert loaded.rgb.shape == (8, 10, 3) and np.allclose(loaded.rgb, (1, 0, 0))


def test_animated_webp_gives_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (10, 8), c) for c in ((0, 0, 255), (255, 0, 0))]
    path = tmp_path / "anim.webp"
    frames[0].save(path, save_all=True, append_images=frames[1:], lossless=True, duration=50)
    assert np.allclose(imageio.load_image(path).rgb, (0, 0, 1), atol=1e-6)


def _write_heic(path: Path, image: Image.Image) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    try:
        pillow_heif.from_pillow(image).save(path, quality=95)
    except (KeyError, OSError, ValueError, RuntimeError) as exc:
        pytest.skip(f"HEIC encoding unavailable here ({exc})")


def test_heic(tmp_path):
    path = tmp_path / "x.heic"
    _write_heic(path, Image.new("RGB", (32, 24), (30, 140, 220)))
    loaded = imageio.load_image(path)
    assert loaded.rgb.shape == (24, 32, 3) and loaded.bit_depth == 8
    assert np.allclose(loaded.rgb[12, 16], np.array([30, 140, 220]) / 255, atol=0.03)
    assert np.allclose(imageio.load_gray(path)[12, 16], 30 / 255, atol=0.03)


def test_heic_with_another_suffix_and_heif_alpha(tmp_path):
    rgba = np.zeros((24, 32, 4), np.uint8)
    rgba[..., :3] = (200, 60, 20)
    rgba[:, 16:, 3] = 255
    path = tmp_path / "photo.jpg"  # HEIC content, misleading name
    _write_heic(path, Image.fromarray(rgba, "RGBA"))
    loaded = imageio.load_image(path)
    assert loaded.has_alpha
    assert loaded.alpha[:, :14].max() < 0.05 and loaded.alpha[:, 18:].min() > 0.95
    assert np.allclose(loaded.rgb[5, 25], np.array([200, 60, 20]) / 255, atol=0.04)


# -- EXIF orientation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
def test_all_eight_exif_orientations_jpeg(tmp_path, orientation):
    upright = upright_picture()
    stored = np.ascontiguousarray(STORED[orientation](upright))
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=98, subsampling=0)  # 4:4:4: no chroma blur
    loaded = imageio.load_image(path)
    assert loaded.rgb.shape == (40, 60, 3)
    error = np.abs(loaded.rgb - upright / 255.0)
    assert error.mean() < 0.02
    # the distinctive parts are where they belong (not just a near-uniform match)
    assert loaded.rgb[2:10, 2:16, 0].min() > 0.85 and loaded.rgb[-6:, :, 1].min() > 0.8
    assert loaded.rgb[16:24, 46:54, 2].min() > 0.85
    gray = imageio.load_gray(path)
    assert gray.shape == (40, 60) and gray[2:10, 2:16].min() > 0.85 and gray[16:24, 46:54].max() < 0.15


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_on_sixteen_bit_colour_png(tmp_path, orientation):
    """16-bit colour goes through OpenCV, which ignores EXIF: the loader must still orient it, at full depth."""
    upright = upright_picture(np.uint16)
    upright[0, 0] = (1000, 2001, 3003)  # values 8 bits cannot hold
    path = tmp_path / f"o{orientation}.png"
    path.write_bytes(raw_png16(STORED[orientation](upright), exif=exif_bytes(orientation)))
    loaded = imageio.load_image(path)
    assert loaded.bit_depth == 16 and loaded.rgb.shape == (40, 60, 3)
    assert np.abs(loaded.rgb - upright / 65535.0).max() < 1e-6
    assert np.abs(imageio.load_gray(path) - upright[..., 0] / 65535.0).max() < 1e-6


# -- bit depths and colour modes ----------------------------------------------------------------------


def test_sixteen_bit_gray_png_and_tiff_keep_their_precision(tmp_path):
    gray = (np.arange(16 * 16).reshape(16, 16) * 257 + 3).astype(np.uint16)  # +3: not a multiple of 257
    Image.fromarray(gray).save(tmp_path / "g16.png")
    assert cv2.imwrite(str(tmp_path / "g16.tif"), gray)
    (tmp_path / "dark16.png").write_bytes(raw_png16(np.full((4, 4), 200, np.uint16)))  # all values < 256
    for name in ("g16.png", "g16.tif"):
        loaded = imageio.load_image(tmp_path / name)
        assert loaded.bit_depth == 16 and loaded.alpha is None
        assert np.abs(loaded.rgb - (gray / 65535.0)[..., None]).max() < 1e-6
        assert np.abs(imageio.load_gray(tmp_path / name) - gray / 65535.0).max() < 1e-6
    assert np.allclose(imageio.load_gray(tmp_path / "dark16.png"), 200 / 65535, atol=1e-7)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("channels", [3, 4])
def test_sixteen_bit_colour_keeps_its_precision(tmp_path, suffix, channels):
    values = np.random.default_rng(1).integers(0, 65536, (12, 14, channels)).astype(np.uint16)
    path = write_cv2(tmp_path / f"c{channels}{suffix}", values)
    loaded = imageio.load_image(path)
    assert loaded.bit_depth == 16
    assert np.abs(loaded.rgb - values[..., :3] / 65535.0).max() < 1e-6  # 8 bit could not beat 2e-3
    if channels == 4:
        assert np.abs(loaded.alpha - values[..., 3] / 65535.0).max() < 1e-6
    else:
        assert loaded.alpha is None
    assert np.abs(imageio.load_gray(path) - values[..., 0] / 65535.0).max() < 1e-6


def test_sixteen_bit_gray_alpha_png(tmp_path):
    la = np.dstack([np.full((5, 6), 40000, np.uint16), np.full((5, 6), 1234, np.uint16)])
    (tmp_path / "la16.png").write_bytes(raw_png16(la))
    loaded = imageio.load_image(tmp_path / "la16.png")
    assert loaded.bit_depth == 16
    assert np.allclose(loaded.rgb, 40000 / 65535, atol=1e-6) and np.allclose(loaded.alpha, 1234 / 65535, atol=1e-6)
    assert np.allclose(imageio.load_gray(tmp_path / "la16.png"), 40000 / 65535, atol=1e-6)


def test_integer_and_float_tiffs(tmp_path):
    Image.fromarray(np.array([[0, 30000], [65535, 70000]], np.int32)).save(tmp_path / "i.tif")
    loaded = imageio.load_image(tmp_path / "i.tif")
    assert loaded.mode == "I" and loaded.rgb.shape == (2, 2, 3)
    assert np.allclose(loaded.rgb[..., 0], np.array([[0, 30000], [65535, 70000]]) / 4294967295.0)
    Image.fromarray(np.array([[0.25, 2.0], [-1.0, 0.5]], np.float32)).save(tmp_path / "f.tif")
    loaded = imageio.load_image(tmp_path / "f.tif")
    assert loaded.bit_depth == 32 and np.allclose(loaded.rgb[..., 0], [[0.25, 1.0], [0.0, 0.5]])


@pytest.mark.parametrize("suffix", [".jpg", ".tif"])
def test_cmyk_colours(tmp_path, suffix):
    # (C, M, Y, K) → RGB = 255·(1 − C)(1 − K) per channel without a colour profile
    cases = {(255, 0, 0, 0): (0, 255, 255), (0, 0, 255, 0): (255, 255, 0), (128, 0, 0, 128): (63, 127, 127),
             (0, 0, 0, 255): (0, 0, 0), (0, 0, 0, 0): (255, 255, 255)}
    strip = Image.new("CMYK", (8 * len(cases), 8))
    for i, cmyk in enumerate(cases):
        strip.paste(Image.new("CMYK", (8, 8), cmyk), (8 * i, 0))
    path = tmp_path / f"c{suffix}"
    strip.save(path, **({"quality": 98} if suffix == ".jpg" else {}))
    loaded = imageio.load_image(path)
    assert loaded.mode == "CMYK" and loaded.rgb.shape == (8, 8 * len(cases), 3)
    for i, expected in enumerate(cases.values()):
        assert np.allclose(loaded.rgb[4, 8 * i + 4], np.array(expected) / 255, atol=0.04), expected


CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


@pytest.mark.skipif(not CMYK_PROFILE.exists(), reason="no CMYK ICC profile on this system")
def test_cmyk_with_an_icc_profile_is_colour_managed(tmp_path):
    from PIL import ImageCms

    icc = CMYK_PROFILE.read_bytes()
    cyan = Image.new("CMYK", (8, 8), (255, 0, 0, 0))
    cyan.save(tmp_path / "c.tif", icc_profile=icc)
    rgb = imageio.load_image(tmp_path / "c.tif").rgb[4, 4]
    profile = ImageCms.ImageCmsProfile(str(CMYK_PROFILE))
    managed = ImageCms.profileToProfile(cyan, profile, ImageCms.createProfile("sRGB"), outputMode="RGB").getpixel((4, 4))
    assert np.allclose(rgb, np.array(managed) / 255, atol=1e-6)
    assert np.abs(rgb - (0, 1, 1)).max() > 0.05  # printed cyan is not the screen's pure cyan
    assert rgb[0] < 0.3 and rgb[2] > 0.7  # but still cyan


def test_rgba_alpha_is_reported(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = np.arange(8, dtype=np.uint8)[None, :] * 30
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    loaded = imageio.load_image(tmp_path / "a.png")
    assert loaded.has_alpha and loaded.mode == "RGBA" and loaded.alpha.shape == (8, 8)
    assert np.allclose(loaded.alpha, rgba[..., 3] / 255) and np.allclose(loaded.rgb[..., 0], 200 / 255)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.webp", lossless=True, exact=True)
    assert np.allclose(imageio.load_image(tmp_path / "a.webp").alpha, rgba[..., 3] / 255)


def test_la_alpha_is_reported_and_load_gray_takes_the_gray(tmp_path):
    la = Image.fromarray(np.dstack([np.full((6, 6), 90, np.uint8), np.full((6, 6), 30, np.uint8)]), "LA")
    la.save(tmp_path / "la.png")
    loaded = imageio.load_image(tmp_path / "la.png")
    assert loaded.has_alpha and np.allclose(loaded.alpha, 30 / 255) and np.allclose(loaded.rgb, 90 / 255)
    assert np.allclose(imageio.load_gray(tmp_path / "la.png"), 90 / 255)


def test_palette_with_transparency(tmp_path):
    pal = Image.new("P", (6, 6), 1)
    pal.putpalette([0, 0, 0, 10, 200, 30, 250, 250, 5] + [0] * 759)
    pal.putpixel((0, 0), 0)
    pal.putpixel((5, 5), 2)
    for name, options in (("p.png", {"transparency": 0}), ("p.gif", {"transparency": 0})):
        pal.save(tmp_path / name, **options)
        loaded = imageio.load_image(tmp_path / name)
        assert loaded.has_alpha and loaded.alpha[0, 0] == 0 and loaded.alpha[3, 3] == 1, name
        assert np.allclose(loaded.rgb[3, 3], np.array([10, 200, 30]) / 255), name
        assert np.allclose(loaded.rgb[5, 5], np.array([250, 250, 5]) / 255), name
    pal.save(tmp_path / "opaque.png")
    assert imageio.load_image(tmp_path / "opaque.png").alpha is None


def test_rgb_colour_key_transparency(tmp_path):
    arr = np.full((4, 4, 3), 90, np.uint8)
    arr[0, 0] = (1, 2, 3)
    Image.fromarray(arr).save(tmp_path / "k.png", transparency=(1, 2, 3))
    loaded = imageio.load_image(tmp_path / "k.png")
    assert loaded.has_alpha and loaded.alpha[0, 0] == 0 and loaded.alpha[1:, 1:].min() == 1


def test_one_bit_and_eight_bit_gray(tmp_path):
    bits = Image.new("1", (5, 4), 0)
    bits.putpixel((2, 1), 1)
    bits.save(tmp_path / "b.png")
    loaded = imageio.load_image(tmp_path / "b.png")
    assert loaded.mode == "1" and loaded.rgb[1, 2].tolist() == [1, 1, 1] and loaded.rgb.sum() == 3
    Image.new("L", (5, 4), 51).save(tmp_path / "l.png")
    loaded = imageio.load_image(tmp_path / "l.png")
    assert loaded.mode == "L" and np.allclose(loaded.rgb, 0.2)
    assert imageio.load_gray(tmp_path / "l.png").shape == (4, 5)


def test_load_gray_takes_the_first_channel_of_rgb(tmp_path):
    arr = np.zeros((4, 4, 3), np.uint8)
    arr[..., 0], arr[..., 1] = 128, 255
    Image.fromarray(arr).save(tmp_path / "t.png")
    gray = imageio.load_gray(tmp_path / "t.png")
    assert gray.shape == (4, 4) and gray.dtype == np.float32 and np.allclose(gray, 128 / 255)


def test_loaded_image_is_frozen(tmp_path, rgb8):
    Image.fromarray(rgb8).save(tmp_path / "x.png")
    loaded = imageio.load_image(tmp_path / "x.png")
    assert loaded.size == (30, 20)
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.alpha = np.zeros((20, 30))  # type: ignore[misc]


# -- bad input ----------------------------------------------------------------------------------------


def test_bad_files_are_clear_read_errors(tmp_path, rgb8):
    Image.fromarray(rgb8).save(tmp_path / "good.png")
    Image.fromarray(rgb8).save(tmp_path / "good.jpg")
    png, jpg = (tmp_path / "good.png").read_bytes(), (tmp_path / "good.jpg").read_bytes()
    (tmp_path / "truncated.png").write_bytes(png[: len(png) // 2])
    (tmp_path / "truncated.jpg").write_bytes(jpg[: len(jpg) // 2])
    (tmp_path / "header-only.png").write_bytes(png[:33])
    corrupt = bytearray(png)
    corrupt[60:80] = b"\xff" * 20  # inside the IDAT data
    (tmp_path / "corrupt.png").write_bytes(bytes(corrupt))
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "folder.png").mkdir()
    expected = {
        "truncated.png": "truncated", "truncated.jpg": "truncated", "header-only.png": "truncated",
        "corrupt.png": "damaged", "empty.jpg": "empty", "text.png": "not an image", "missing.png": "does not exist",
        "folder.png": "folder",
    }
    for name, problem in expected.items():
        for load in (imageio.load_image, imageio.load_gray):
            with pytest.raises(ImageReadError) as info:
                load(tmp_path / name)
            message = str(info.value)
            assert name in message and problem in message, message
            assert info.value.__cause__ is None  # no chained traceback
            assert info.value.__context__ is None or info.value.__suppress_context__


def test_pixel_limit(tmp_path, rgb8, monkeypatch):
    path = tmp_path / "x.png"
    Image.fromarray(rgb8).save(path)  # 30 x 20 = 600 pixels
    assert imageio.load_image(path, max_pixels=600).rgb.shape == (20, 30, 3)
    with pytest.raises(ImageTooLargeError, match=r"30x20 = 600 pixels.*limit of 599 pixels.*MATTING_STUDIO_MAX_PIXELS"):
        imageio.load_image(path, max_pixels=599)
    with pytest.raises(ImageTooLargeError):
        imageio.load_gray(path, max_pixels=100)
    monkeypatch.setenv("MATTING_STUDIO_MAX_PIXELS", "500")  # read at call time
    with pytest.raises(ImageTooLargeError, match="limit of 500 pixels"):
        imageio.load_image(path)
    monkeypatch.setenv("MATTING_STUDIO_MAX_PIXELS", "1e3")
    assert imageio.max_pixels_limit() == 1000 and imageio.load_gray(path).shape == (20, 30)
    monkeypatch.setenv("MATTING_STUDIO_MAX_PIXELS", "lots")
    with pytest.warns(RuntimeWarning, match="MATTING_STUDIO_MAX_PIXELS"):
        assert imageio.max_pixels_limit() == imageio.DEFAULT_MAX_PIXELS


def test_decompression_bomb_header_is_refused_without_decoding(tmp_path):
    """A PNG claiming 100000 x 100000 pixels (10 GP, far above Pillow's own bomb limit) in a few bytes."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\x00" * 100))
    (tmp_path / "bomb.png").write_bytes(bomb + _chunk(b"IEND", b""))
    saved = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageTooLargeError, match=r"100000x100000 = 10000\.0 MP.*limit of 120\.0 MP"):
        imageio.load_image(tmp_path / "bomb.png", max_pixels=120_000_000)
    assert Image.MAX_IMAGE_PIXELS == saved  # Pillow's global setting restored
    # a limit above Pillow's own is honoured: the header passes, then the (tiny) data is reported truncated
    with pytest.raises(ImageReadError) as info:
        imageio.load_image(tmp_path / "bomb.png", max_pixels=10**11)
    assert not isinstance(info.value, ImageTooLargeError)


def test_concurrent_loads(tmp_path, rgb8):
    Image.fromarray(rgb8).save(tmp_path / "x.png")
    saved, errors, results = Image.MAX_IMAGE_PIXELS, [], []

    def work():
        try:
            for _ in range(10):
                results.append(imageio.load_image(tmp_path / "x.png").rgb.sum())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 40 and len(set(results)) == 1
    assert Image.MAX_IMAGE_PIXELS == saved


# -- saving -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(10, 12), (10, 12, 3), (10, 12, 4)])
@pytest.mark.parametrize("bits", [8, 16])
def test_save_png_round_trip(tmp_path, shape, bits):
    arr = np.random.default_rng(2).random(shape).astype(np.float32)
    path = imageio.save_png(tmp_path / "o.png", arr, bits=bits)
    assert path == tmp_path / "o.png"
    loaded = imageio.load_image(path)
    assert loaded.bit_depth == bits
    tolerance = 0.5 / 255 + 1e-6 if bits == 8 else 0.5 / 65535 + 1e-7  # rounding to the nearest level
    colour = arr if len(shape) == 2 else arr[..., :3]
    assert np.abs((loaded.rgb[..., 0] if len(shape) == 2 else loaded.rgb) - colour).max() <= tolerance
    if len(shape) == 3 and shape[2] == 4:
        assert np.abs(loaded.alpha - arr[..., 3]).max() <= tolerance
    else:
        assert loaded.alpha is None
    # an independent reader agrees on channel order and depth (Pillow gives 16-bit colour as its top byte)
    with Image.open(path) as image:
        assert image.size == (12, 10)
        raw = np.asarray(image).astype(np.int64)
    levels = np.round(arr * (255 if bits == 8 else 65535)).astype(np.int64)
    expected = levels >> 8 if bits == 16 and len(shape) == 3 else levels
    assert np.array_equal(raw, expected)


def test_save_png_clips_and_accepts_integer_images(tmp_path):
    arr = np.array([[-0.5, 0.25], [1.5, 1.0]], np.float32)
    imageio.save_png(tmp_path / "clip.png", arr)
    assert np.allclose(imageio.load_gray(tmp_path / "clip.png"), [[0, 64 / 255], [1, 1]])
    imageio.save_png(tmp_path / "u8.png", np.full((3, 3, 3), 77, np.uint8))
    assert np.allclose(imageio.load_image(tmp_path / "u8.png").rgb, 77 / 255)
    imageio.save_png(tmp_path / "u16.png", np.full((3, 3), 4321, np.uint16), bits=16)
    assert np.allclose(imageio.load_gray(tmp_path / "u16.png"), 4321 / 65535, atol=1e-7)
    imageio.save_png(tmp_path / "one.png", np.full((3, 3, 1), 1.0))
    assert imageio.load_image(tmp_path / "one.png").mode == "L"
    imageio.save_png(tmp_path / "mask.png", np.eye(3, dtype=bool))
    assert np.array_equal(imageio.load_gray(tmp_path / "mask.png"), np.eye(3))


def test_save_png_rejects_bad_arrays_and_leaves_nothing(tmp_path):
    bad_arrays = (np.full((4, 4), np.nan), np.full((4, 4, 3), np.inf), np.zeros((4, 4, 2)), np.zeros((0, 3)),
                  np.zeros(5), np.zeros((2, 2, 2, 3)), np.array([["a", "b"]]), np.zeros((4, 4), np.int64))
    for bad in bad_arrays:
        with pytest.raises(ImageWriteError):
            imageio.save_png(tmp_path / "bad.png", bad)
    with pytest.raises(ImageWriteError, match="8 or 16"):
        imageio.save_png(tmp_path / "x.png", np.zeros((4, 4)), bits=12)
    assert os.listdir(tmp_path) == []


def test_save_png_never_overwrites_silently(tmp_path):
    path = tmp_path / "keep.png"
    path.write_bytes(b"precious")
    with pytest.raises(OutputExistsError, match="already exists"):
        imageio.save_png(path, np.zeros((4, 4)))
    assert path.read_bytes() == b"precious"
    imageio.save_png(path, np.zeros((4, 4)), overwrite=True)
    assert imageio.load_gray(path).shape == (4, 4)
    assert os.listdir(tmp_path) == ["keep.png"]  # no temporary file left behind


def test_save_png_refuses_every_spelling_of_an_input(tmp_path):
    source = tmp_path / "in.png"
    source.write_bytes(b"original")
    (tmp_path / "sub").mkdir()
    os.link(source, tmp_path / "hard.png")
    spellings = [source, str(source), tmp_path / "sub" / ".." / "in.png", tmp_path / "hard.png"]
    if sys.platform != "win32":
        (tmp_path / "link.png").symlink_to(source)
        spellings.append(tmp_path / "link.png")
    for target in spellings:
        for inputs in ([source], str(source), (tmp_path / "other.png", source)):
            with pytest.raises(OutputExistsError, match="input"):
                imageio.save_png(target, np.zeros((4, 4)), overwrite=True, inputs=inputs)
    assert source.read_bytes() == b"original"
    # an input that is given relative to the current directory
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        with pytest.raises(OutputExistsError):
            imageio.save_png(source, np.zeros((4, 4)), overwrite=True, inputs=["in.png"])
    finally:
        os.chdir(cwd)
    # other inputs do not get in the way
    out = imageio.save_png(tmp_path / "out.png", np.zeros((4, 4)), inputs=[source])
    assert out.exists() and source.read_bytes() == b"original"


def test_save_png_creates_folders_and_refuses_folders(tmp_path):
    path = imageio.save_png(tmp_path / "a" / "b" / "c.png", np.ones((3, 3)))
    assert path.exists()
    with pytest.raises(ImageWriteError, match="folder"):
        imageio.save_png(tmp_path / "a", np.ones((3, 3)), overwrite=True)
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(ImageWriteError, match="file"):
        imageio.save_png(tmp_path / "file" / "x.png", np.ones((3, 3)))


def test_save_png_failure_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    path.write_bytes(b"old")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(imageio.os, "fsync", broken_fsync)
    with pytest.raises(ImageWriteError, match="No space left"):
        imageio.save_png(path, np.zeros((4, 4)), overwrite=True)
    with pytest.raises(ImageWriteError):
        imageio.save_png(tmp_path / "new.png", np.zeros((4, 4)))
    assert path.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["out.png"]


def test_save_png_does_not_clobber_a_file_that_appears_while_writing(tmp_path, monkeypatch):
    path = tmp_path / "race.png"
    encode = imageio._encode_png

    def encode_then_someone_writes(arr, bits):
        data = encode(arr, bits)
        path.write_bytes(b"theirs")
        return data

    monkeypatch.setattr(imageio, "_encode_png", encode_then_someone_writes)
    with pytest.raises(OutputExistsError):
        imageio.save_png(path, np.zeros((4, 4)))
    assert path.read_bytes() == b"theirs" and os.listdir(tmp_path) == ["race.png"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_saved_files_get_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = imageio.save_png(tmp_path / "p.png", np.zeros((2, 2)))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


# -- names and helpers --------------------------------------------------------------------------------


def test_list_images(tmp_path):
    for name in ("b.PNG", "a.jpg", "C.heic", "c.txt", ".hidden.png", "d.tiff", "noext"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.png").write_bytes(b"x")
    (tmp_path / "dir.png").mkdir()
    assert [p.name for p in imageio.list_images(tmp_path)] == ["a.jpg", "b.PNG", "C.heic", "d.tiff"]
    assert imageio.list_images(tmp_path / "sub") == [tmp_path / "sub" / "deep.png"]
    with pytest.raises(ImageReadError, match="does not exist"):
        imageio.list_images(tmp_path / "nope")
    with pytest.raises(ImageReadError, match="not a folder"):
        imageio.list_images(tmp_path / "a.jpg")


def test_suffixes_and_is_image_path():
    assert all(s == s.lower() and s.startswith(".") for s in imageio.IMAGE_SUFFIXES)
    for suffix in (".heic", ".heif", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif"):
        assert suffix in imageio.IMAGE_SUFFIXES
        assert imageio.is_image_path(f"x{suffix.upper()}") and imageio.is_image_path(Path(f"a/b{suffix}"))
    assert not imageio.is_image_path("x.txt") and not imageio.is_image_path("png")


def test_to_float_and_to_uint8():
    assert imageio.to_float(np.array([0, 255], np.uint8)).tolist() == [0.0, 1.0]
    assert np.allclose(imageio.to_float(np.array([0, 32768, 65535], np.uint16)), [0, 32768 / 65535, 1])
    assert imageio.to_float(np.array([-1.0, 0.5, 2.0, np.nan])).tolist() == [0.0, 0.5, 1.0, 0.0]
    assert imageio.to_float(np.array([True, False])).dtype == np.float32
    assert imageio.to_uint8(np.array([0.0, 0.5, 1.0, 1.5])).tolist() == [0, 128, 255, 255]
    assert imageio.to_uint8(np.array([0, 65535], np.uint16)).tolist() == [0, 255]
    raw = np.array([3, 4], np.uint8)
    assert imageio.to_uint8(raw) is raw
