"""Validation: held-out images matted whole, with the dataset's benchmark trimap when it has one."""

from __future__ import annotations

import numpy as np

from matting_studio.training.validation import held_out_images


def test_whole_image_validation_uses_the_benchmark_trimap_when_the_dataset_has_one(tiny_dataset, tmp_path, config):
    """A dataset with ``trimap/`` (a benchmark's) is validated on those trimaps; a tighter trimap leaves fewer
    unknown pixels to get wrong, so the whole-image SAD changes with it."""
    from matting_studio.core import imageio

    data, _ = tiny_dataset
    (image, alpha, trimap_wide), = held_out_images(config(tiny_dataset, tmp_path / "a"))
    tight = np.where(alpha >= 0.999, 1.0, np.where(alpha <= 0.001, 0.0, 0.5)).astype(np.float32)
    imageio.save_png(data / "trimap" / "s2.png", tight)
    (_, _, trimap_given), = held_out_images(config(tiny_dataset, tmp_path / "b"))
    assert np.array_equal(trimap_given, tight) and (trimap_given == 0.5).sum() < (trimap_wide == 0.5).sum()
    assert image.shape[:2] == alpha.shape == trimap_wide.shape
