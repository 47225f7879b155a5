"""TrainConfig validates itself (one sentence naming the field) and loads from recipe files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matting_studio.core.errors import ConfigError
from matting_studio.training.config import TrainConfig, load_recipe


def base(**kw):
    values = dict(model="dlmng", data_dir="data", backgrounds_dir=["bg1", "bg2"], out_dir="out", steps=10)
    values.update(kw)
    return values


def test_paths_become_paths_and_the_dict_round_trips():
    config = TrainConfig.from_dict(base(pool_dir="pool"))
    assert config.data_dir == Path("data") and config.backgrounds_dir == [Path("bg1"), Path("bg2")]
    assert config.pool_dir == Path("pool")
    again = TrainConfig.from_dict(config.to_dict())
    assert again == config


@pytest.mark.parametrize("field, value", [("steps", 0), ("batch_size", -1), ("crop", 8), ("lr", 0.0),
                                          ("lr", float("nan")), ("real_fraction", 1.5), ("ema", 1.0),
                                          ("mse_weight", -2.0), ("guidance_mix", (0, 0, 0)), ("size", "huge"),
                                          ("device", "tpu"), ("pool_per_stem", -1), ("model", "gan")])
def test_each_bad_field_is_named_in_one_sentence(field, value):
    with pytest.raises(ConfigError) as err:
        TrainConfig.from_dict(base(**{field: value}))
    message = str(err.value)
    assert "\n" not in message and (field in message or str(value) in message)


def test_unknown_and_missing_settings_are_errors():
    with pytest.raises(ConfigError, match="learning_rate"):
        TrainConfig.from_dict(base(learning_rate=0.1))
    with pytest.raises(ConfigError, match="steps"):
        TrainConfig.from_dict({k: v for k, v in base().items() if k != "steps"})
    with pytest.raises(ConfigError, match="teacher"):
        TrainConfig.from_dict(base(model="ssrn"))
    with pytest.raises(ConfigError, match="augmentation"):
        TrainConfig.from_dict(base(augmentation={"glitter": 1}))


def test_recipe_files(tmp_path):
    good = tmp_path / "r.json"
    good.write_text(json.dumps({"_note": "ignored", "steps": 5, "augmentation": {"scale": [0.8, 1.2]}}))
    values = load_recipe(good)
    assert values == {"steps": 5, "augmentation": {"scale": [0.8, 1.2]}}
    config = TrainConfig.from_dict(base(**values))
    assert config.augment_config().scale == (0.8, 1.2)
    with pytest.raises(ConfigError, match="does not exist"):
        load_recipe(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match="JSON"):
        load_recipe(tmp_path / "bad.json")
