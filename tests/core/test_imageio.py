"""Image loading and saving across formats, orientations, depths and colour modes; bad files; safe saving."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from matting_studio.core import imageio
from matting_studio.core.errors import ImageReadError, ImageTooLargeError, ImageWriteError, OutputExistsError


@pytest.fixture
def rgb8():
    rng = np.random.default_rng(0)
    return (rng.random((20, 30, 3)) * 255).astype(np.uint8)


@pytest.mark.parametrize("suffix,lossless", [(".png", True), (".tif", True), (".bmp", True), (".webp", True),
                                             (".jpg", False)])
def test_round_trip_per_format(tmp_path, suffix, lossless):
    arr = np.zeros((16, 24, 3), np.uint8)
    arr[:, :12] = (200, 30, 60)
    arr[:, 12:] = (20, 180, 90)
    path = tmp_path / f"x{suffix}"
    Image.fromarray(arr).save(path, **({"lossless": True} if suffix == ".webp" else {}))
    loaded = imageio.load_image(path)
    assert loaded.rgb.shape == (16, 24, 3) and loaded.rgb.dtype == np.float32 and loaded.alpha is None
    error = np.abs(loaded.rgb - arr / 255.0)
    if lossless:
        assert error.max() <= 1e-6
    else:  # JPEG: chroma subsampling rings at the colour edge
        assert error.mean() < 0.03


def test_gif_first_frame(tmp_path):
    frames = [Image.new("RGB", (10, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    loaded = imageio.load_image(path)
    assert np.allclose(loaded.rgb[0, 0], (1, 0, 0), atol=0.02)


def test_heic(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    path = tmp_path / "x.heic"
    try:
        Image.new("RGB", (32, 24), (30, 140, 220)).save(path, quality=95)
    except (KeyError, OSError, ValueError) as exc:
        pytest.skip(f"HEIC encoding unavailable here ({exc})")
    loaded = imageio.load_image(path)
    assert loaded.rgb.shape == (24, 32, 3)
    assert np.allclose(loaded.rgb[12, 16], np.array([30, 140, 220]) / 255, atol=0.05)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_all_eight_exif_orientations(tmp_path, orientation):
    upright = np.zeros((40, 60, 3), np.uint8)  # asymmetric: a red block top-left, a green bar at the bottom
    upright[:12, :18] = (255, 0, 0)
    upright[-8:, :] = (0, 255, 0)
    stored = Image.fromarray(np.ascontiguousarray(upright))
    # store it the way a camera would for this tag: apply the inverse of the tag's correction
    inverse = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
               4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
               7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}[orientation]
    if inverse is not None:
        stored = stored.transpose(inverse)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.jpg"
    stored.save(path, exif=exif, quality=98)
    loaded = imageio.load_image(path)
    assert loaded.rgb.shape == (40, 60, 3), orientation
    assert np.abs(loaded.rgb - upright / 255.0).mean() < 0.03, orientation


def test_sixteen_bit_gray_and_rgb_keep_their_precision(tmp_path):
    gray = (np.arange(64 * 4).reshape(16, 16) * 257 + 3).astype(np.uint16)
    Image.fromarray(gray).save(tmp_path / "g16.png")
    loaded = imageio.load_image(tmp_path / "g16.png")
    assert loaded.bit_depth == 16
    assert np.allclose(loaded.rgb[..., 0], gray / 65535.0, atol=1e-6)
    assert np.allclose(imageio.load_gray(tmp_path / "g16.png"), gray / 65535.0, atol=1e-6)
    rgb = np.random.default_rng(1).random((12, 14, 3)).astype(np.float32)
    imageio.save_png(tmp_path / "c16.png", rgb, bits=16)
    back = imageio.load_image(tmp_path / "c16.png")
    assert back.bit_depth == 16
    assert np.abs(back.rgb - rgb).max() < 2e-5  # 8-bit could not do better than 2e-3
    import cv2

    cv2.imwrite(str(tmp_path / "c16.tif"), (rgb[..., ::-1] * 65535).astype(np.uint16))
    tif = imageio.load_image(tmp_path / "c16.tif")
    assert tif.bit_depth == 16 and np.abs(tif.rgb - rgb).max() < 2e-5


@pytest.mark.parametrize("suffix", [".jpg", ".tif"])
def test_cmyk_colours(tmp_path, suffix):
    cyan = Image.new("CMYK", (10, 10), (255, 0, 0, 0))
    cyan.save(tmp_path / f"c{suffix}")
    rgb = imageio.load_image(tmp_path / f"c{suffix}").rgb
    assert np.allclose(rgb[5, 5], (0, 1, 1), atol=0.06)


def test_alpha_channels_are_reported(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 77
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    loaded = imageio.load_image(tmp_path / "a.png")
    assert loaded.has_alpha and np.allclose(loaded.alpha, 77 / 255) and np.allclose(loaded.rgb[..., 0], 200 / 255)
    la = Image.fromarray(np.dstack([np.full((6, 6), 90, np.uint8), np.full((6, 6), 30, np.uint8)]), "LA")
    la.save(tmp_path / "la.png")
    loaded = imageio.load_image(tmp_path / "la.png")
    assert loaded.has_alpha and np.allclose(loaded.alpha, 30 / 255) and np.allclose(loaded.rgb, 90 / 255)
    pal = Image.new("P", (6, 6), 1)
    pal.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    pal.info["transparency"] = 0
    pal.putpixel((0, 0), 0)
    pal.save(tmp_path / "p.png", transparency=0)
    loaded = imageio.load_image(tmp_path / "p.png")
    assert loaded.has_alpha and loaded.alpha[0, 0] == 0 and loaded.alpha[3, 3] == 1
    assert np.allclose(loaded.rgb[3, 3], (10 / 255, 200 / 255, 30 / 255))


def test_one_bit_and_gray(tmp_path):
    Image.new("1", (5, 4), 1).save(tmp_path / "b.png")
    assert np.all(imageio.load_image(tmp_path / "b.png").rgb == 1.0)
    Image.new("L", (5, 4), 51).save(tmp_path / "l.png")
    assert np.allclose(imageio.load_image(tmp_path / "l.png").rgb, 0.2)


def test_load_gray_takes_the_first_channel_of_rgb(tmp_path):
    arr = np.zeros((4, 4, 3), np.uint8)
    arr[..., 0], arr[..., 1] = 128, 255
    Image.fromarray(arr).save(tmp_path / "t.png")
    assert np.allclose(imageio.load_gray(tmp_path / "t.png"), 128 / 255)


def test_bad_files_are_clear_read_errors(tmp_path, rgb8):
    good = tmp_path / "good.png"
    Image.fromarray(rgb8).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    for path in (truncated, tmp_path / "empty.jpg", tmp_path / "text.png", tmp_path / "missing.png", tmp_path):
        with pytest.raises(ImageReadError) as info:
            imageio.load_image(path)
        assert path.name in str(info.value)


def test_pixel_limit(tmp_path, rgb8):
    Image.fromarray(rgb8).save(tmp_path / "x.png")
    with pytest.raises(ImageTooLargeError, match="MP"):
        imageio.load_image(tmp_path / "x.png", max_pixels=100)


@pytest.mark.parametrize("shape", [(10, 12), (10, 12, 3), (10, 12, 4)])
@pytest.mark.parametrize("bits", [8, 16])
def test_save_png_round_trip(tmp_path, shape, bits):
    arr = np.random.default_rng(2).random(shape).astype(np.float32)
    path = imageio.save_png(tmp_path / "o.png", arr, bits=bits)
    loaded = imageio.load_image(path)
    tol = 1 / 255 if bits == 8 else 1 / 65535
    if len(shape) == 2:
        assert np.abs(loaded.rgb[..., 0] - arr).max() <= tol
    else:
        assert np.abs(loaded.rgb - arr[..., :3]).max() <= tol
        if shape[2] == 4:
            assert np.abs(loaded.alpha - arr[..., 3]).max() <= tol


def test_save_png_never_overwrites_silently_nor_onto_inputs(tmp_path):
    path = tmp_path / "keep.png"
    path.write_bytes(b"precious")
    with pytest.raises(OutputExistsError):
        imageio.save_png(path, np.zeros((4, 4)))
    assert path.read_bytes() == b"precious"
    with pytest.raises(OutputExistsError):
        imageio.save_png(path, np.zeros((4, 4)), overwrite=True, inputs=[path])
    assert path.read_bytes() == b"precious"
    imageio.save_png(path, np.zeros((4, 4)), overwrite=True)
    assert imageio.load_gray(path).shape == (4, 4)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_save_png_rejects_bad_arrays_and_leaves_nothing(tmp_path):
    for bad in (np.full((4, 4), np.nan), np.zeros((4, 4, 2)), np.zeros((0, 3))):
        with pytest.raises(ImageWriteError):
            imageio.save_png(tmp_path / "bad.png", bad)
    with pytest.raises(ImageWriteError):
        imageio.save_png(tmp_path / "x.png", np.zeros((4, 4)), bits=12)
    assert os.listdir(tmp_path) == []


def test_list_images(tmp_path):
    for name in ("b.PNG", "a.jpg", "c.txt", ".hidden.png"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    assert [p.name for p in imageio.list_images(tmp_path)] == ["a.jpg", "b.PNG"]
