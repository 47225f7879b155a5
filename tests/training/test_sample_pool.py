"""The sample pool: packed guidance, resumable building, deterministic drawing."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core.errors import DatasetError
from matting_studio.training.sample_pool import SYNTHETIC, PoolDataset, build_pool, pack, unpack


def test_pack_chooses_the_guidance_and_keeps_trimap_values_exact(tiny_dataset):
    from matting_studio.training.datasets import CompositionDataset

    data, bg = tiny_dataset
    sample = CompositionDataset(data, bg, crop=32, seed=1).sample(0, "seg_trimap")
    auto = unpack(pack(sample, "auto"))
    assert np.array_equal(auto["trimap"], sample["seg_trimap"]) and np.array_equal(auto["soft_seg"],
                                                                                  sample["soft_seg"].astype(np.float16))
    assert np.array_equal(auto["unknown"], sample["seg_unknown"])
    manual = unpack(pack(sample, "trimap"))
    assert np.array_equal(manual["soft_seg"], sample["trimap"]) and set(np.unique(manual["trimap"])) <= {0, 0.5, 1}
    assert auto["prior"].shape == (32, 32, 10) and np.abs(auto["prior"] - sample["prior"]).max() < 1e-3


def test_building_is_resumable_and_drawing_is_deterministic(tiny_dataset, tmp_path):
    data, bg = tiny_dataset
    stems = sorted(p.stem for p in (data / "image").iterdir())
    kw = dict(stems=stems, per_stem=2, synthetic=2, crop=32, seed=0)
    assert build_pool(data, bg, tmp_path, **kw) == 2 * len(stems) + 2
    assert build_pool(data, bg, tmp_path, **kw) == 0  # everything is there
    (tmp_path / stems[0] / "00001.npz").unlink()
    assert build_pool(data, bg, tmp_path, **kw) == 1
    a = PoolDataset(tmp_path, stems[1:], synthetic_fraction=0.5, seed=3)
    b = PoolDataset(tmp_path, stems[1:], synthetic_fraction=0.5, seed=3)
    assert len(a) == 2 * (len(stems) - 1) + 2
    assert all(np.array_equal(a.sample(i)["image"], b.sample(i)["image"]) for i in range(6))
    item = a.item(0)
    assert item["image"].shape == (3, 32, 32) and item["prior"].shape == (10, 32, 32)
    only_stems = PoolDataset(tmp_path, stems[1:], synthetic_fraction=0.0)
    assert all(SYNTHETIC not in str(p) for p in only_stems.labelled) and not only_stems.synthetic
    with pytest.raises(DatasetError):
        PoolDataset(tmp_path / "empty", ["nothing"])
