"""A tiny synthetic matting dataset written to a temporary folder, and training settings for it."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core import imageio


@pytest.fixture
def tiny_dataset(tmp_path):
    """``data/`` (image/ + alpha/, 3 foregrounds 48×56) and ``bg/`` (2 backgrounds); returns (data, bg)."""
    rng = np.random.default_rng(0)
    data, bg = tmp_path / "data", tmp_path / "bg"
    h, w = 48, 56
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for i in range(3):
        r = np.hypot(yy - h / 2 - i, xx - w / 2 + 2 * i)
        alpha = np.clip((14 + 2 * i - r) / 4 + 0.5, 0, 1).astype(np.float32)
        fg = np.stack([0.8 + 0 * xx, 0.2 + 0.1 * i + 0 * xx, 0.3 + 0.2 * yy / h], -1)
        back = rng.random((h, w, 3)).astype(np.float32) * 0.3
        imageio.save_png(data / "image" / f"s{i}.png", alpha[..., None] * fg + (1 - alpha[..., None]) * back)
        imageio.save_png(data / "alpha" / f"s{i}.png", alpha)
        imageio.save_png(data / "fg" / f"s{i}.png", fg)
    for i in range(2):
        imageio.save_png(bg / f"b{i}.png", rng.random((40 + 10 * i, 70, 3)).astype(np.float32))
    return data, bg


def _train_config(tiny_dataset, out, **kw):
    """A quick DLMN-G run on the tiny dataset (``s2`` held out); ``kw`` override any setting."""
    from matting_studio.training.config import TrainConfig

    data, bg = tiny_dataset
    base = dict(model="dlmng", data_dir=data, backgrounds_dir=bg, out_dir=out, steps=6, batch_size=2, crop=32,
                lr=2e-3, val_every=3, checkpoint_every=3, device="cpu", val_samples=2, val_stems=["s2"])
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture
def config():
    """``config(tiny_dataset, out, **overrides) -> TrainConfig``."""
    return _train_config
