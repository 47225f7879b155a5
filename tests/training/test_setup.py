"""Run setup: the stem split, what a checkpoint holds, the moving average as the shipped weights."""

from __future__ import annotations

import pytest

from matting_studio.core.errors import DatasetError
from matting_studio.training import checkpoints
from matting_studio.training.setup import setup_dlmng, split_stems


def test_stems_split_by_val_stems_or_fraction(tiny_dataset, tmp_path, config):
    assert split_stems(config(tiny_dataset, tmp_path)) == (["s0", "s1"], ["s2"])
    assert split_stems(config(tiny_dataset, tmp_path, val_stems=[])) == (["s0", "s1", "s2"], [])
    train, val = split_stems(config(tiny_dataset, tmp_path, val_stems=None, val_fraction=0.34))
    assert val == ["s0"] and train == ["s1", "s2"]
    assert split_stems(config(tiny_dataset, tmp_path, model="ssrn", val_stems=None, teacher=tmp_path / "t.pt",
                              unlabelled_dir=tmp_path)) == (["s0", "s1", "s2"], [])
    with pytest.raises(DatasetError, match="held out"):
        setup_dlmng(config(tiny_dataset, tmp_path, val_stems=["s0", "s1", "s2"]))


def test_state_resumes_and_weights_are_the_moving_average(tiny_dataset, tmp_path, config):
    run = setup_dlmng(config(tiny_dataset, tmp_path, ema=0.9))
    state = run.state(3, config(tiny_dataset, tmp_path))
    assert set(checkpoints.RESUME_KEYS) <= set(state) and state["step"] == 3 and state["ema"] is not None
    shipped = run.weights(3, config(tiny_dataset, tmp_path), val={"SAD": 1.0})
    assert "optimizer" not in shipped and shipped["val"] == {"SAD": 1.0}
    assert run.weights_model() is run.ema.module
    assert setup_dlmng(config(tiny_dataset, tmp_path / "plain", ema=0.0)).ema is None
