"""Black-and-white and toned photos are told from colour ones by whether colour is a function of brightness."""

from __future__ import annotations

import numpy as np

from matting_studio.core.monochrome import is_monochrome


def _scene(h: int = 120, w: int = 160, seed: int = 0) -> np.ndarray:
    """A colour scene: a red disc on a green ground of the same brightness, plus a luma ramp and noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    image = np.empty((h, w, 3), np.float32)
    image[:] = (0.2, 0.5, 0.3)
    disc = (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (h / 3) ** 2
    image[disc] = (0.75, 0.3, 0.35)
    image *= (0.6 + 0.4 * xx / w)[..., None]
    return np.clip(image + rng.normal(0, 0.01, image.shape), 0, 1).astype(np.float32)


def _luma(image: np.ndarray) -> np.ndarray:
    from matting_studio.core.motion import grayscale

    return grayscale(image)


def test_a_colour_scene_is_colour_and_its_grey_copy_is_black_and_white():
    image = _scene()
    assert not is_monochrome(image)
    assert is_monochrome(np.repeat(_luma(image)[..., None], 3, axis=2))


def test_toned_photos_and_jpeg_like_chroma_noise_count_as_black_and_white():
    gray = _luma(_scene(seed=1))
    sepia = np.clip(gray[..., None] * np.array([1.07, 0.74, 0.43], np.float32), 0, 1)
    assert is_monochrome(sepia)
    noisy = np.repeat(gray[..., None], 3, axis=2) + np.random.default_rng(2).normal(0, 0.004, gray.shape + (3,))
    assert is_monochrome(np.clip(noisy, 0, 1).astype(np.float32))


def test_a_coloured_speck_does_not_make_a_photo_colour_but_a_coloured_object_does():
    gray = np.repeat(_luma(_scene(seed=3))[..., None], 3, axis=2)
    speck = gray.copy()
    speck[10:13, 10:13] = (0.9, 0.1, 0.1)  # 9 of 19,200 pixels
    assert is_monochrome(speck)
    patch = gray.copy()
    patch[10:40, 10:40] = (0.9, 0.1, 0.1)  # 5 % of the pixels
    assert not is_monochrome(patch)
