"""Batches: the prior of the step's trimap, augmentation settings reaching the composites."""

from __future__ import annotations

import numpy as np
import torch

from matting_studio.training.batches import Batches
from matting_studio.training.setup import setup_dlmng
from matting_studio.training.trainer import Trainer


def test_real_photo_batches_carry_the_whole_photo_prior(tiny_dataset, tmp_path, monkeypatch, config):
    from matting_studio.training import datasets

    shapes = []
    real = datasets._prior_hwc
    monkeypatch.setattr(datasets, "_prior_hwc", lambda image, trimap: shapes.append(image.shape) or real(image, trimap))
    cfg = config(tiny_dataset, tmp_path / "run", real_fraction=1.0, guidance_mix=(0.0, 1.0, 0.0))
    batch = Batches(setup_dlmng(cfg), cfg).make(0)
    assert batch["prior"].shape == (2, 10, 32, 32) and torch.isfinite(batch["prior"]).all()
    assert len(shapes) == 2 and all(sh[:2] != (32, 32) for sh in shapes)  # the whole (rescaled) photos, then cropped
    events = list(Trainer(config(tiny_dataset, tmp_path / "mixed", real_fraction=0.5, steps=3)).events())
    assert events[-1].kind == "done"
    assert all(np.isfinite(e.losses["total"]) for e in events if e.kind == "step")


def test_augmentation_settings_reach_the_training_composites_only(tiny_dataset, tmp_path, monkeypatch, config):
    from matting_studio.training import datasets

    calls = []
    real = datasets.lookalike_background
    monkeypatch.setattr(datasets, "lookalike_background", lambda *a: calls.append(1) or real(*a))
    cfg = config(tiny_dataset, tmp_path / "run", augmentation={"lookalike": 1.0})
    run = setup_dlmng(cfg)
    assert run.train_data.augmentation.lookalike == 1.0 and not run.val_data.augment
    Batches(run, cfg).make(0)
    assert len(calls) == 2  # every composite of the batch of 2
    plain = config(tiny_dataset, tmp_path / "plain", augmentation={"lookalike": 0.0})
    run = setup_dlmng(plain)
    calls.clear()
    Batches(run, plain).make(0)
    assert calls == []


def test_guidance_is_drawn_per_step_with_the_mix_or_given_by_a_pool(tiny_dataset, tmp_path, config):
    cfg = config(tiny_dataset, tmp_path / "run", guidance_mix=(0.5, 0.5, 0.0))
    batches = Batches(setup_dlmng(cfg), cfg)
    modes = [batches.guidance_mode(s) for s in range(40)]
    assert set(modes) == {"auto", "trimap"} and modes == [batches.guidance_mode(s) for s in range(40)]
    pooled = config(tiny_dataset, tmp_path / "pooled", pool_dir=tmp_path / "pool")
    assert Batches(setup_dlmng(pooled), pooled).guidance_mode(3) == "given"


def test_the_next_batch_is_prepared_ahead_and_equals_a_fresh_one(tiny_dataset, tmp_path, config):
    cfg = config(tiny_dataset, tmp_path / "run", steps=4)
    batches = Batches(setup_dlmng(cfg), cfg)
    try:
        first = batches[0]
        assert 1 in batches._pending  # step 1 is being made while step 0 trains
        ahead = batches[1]
    finally:
        batches.close()
    fresh = Batches(setup_dlmng(cfg), cfg).make(1)
    assert all(torch.equal(ahead[k], fresh[k]) for k in fresh) and first["image"].shape[0] == cfg.batch_size
