"""Device choice; the weights registry and cache (a fake model: no network needed)."""

from __future__ import annotations

import hashlib

import pytest

from matting_studio import cli
from matting_studio.core.errors import DeviceError, WeightsError
from matting_studio.engine import device, weights

PAYLOAD = b"fake model weights"


def test_device_choice_on_this_machine():
    import torch

    auto = device.choose_device("auto")
    assert auto.type in ("cpu", "cuda", "mps")
    assert device.choose_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="CUDA"):
            device.choose_device("cuda")
    with pytest.raises(DeviceError):
        device.choose_device("tpu")
    assert "CPU" in device.describe_device("cpu")


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    """A registered model whose fetcher writes PAYLOAD and counts its calls; the cache is tmp_path."""
    monkeypatch.setenv("MATTING_STUDIO_CACHE", str(tmp_path / "cache"))
    calls = []

    def fetcher(dest, progress):
        calls.append(dest)
        dest.write_bytes(fetcher.payload)

    fetcher.payload = PAYLOAD
    spec = weights.WeightSpec(name="fake", filename="fake.bin", sha256=hashlib.sha256(PAYLOAD).hexdigest(),
                              source="test", licence="MIT", description="fake", fetcher=fetcher)
    monkeypatch.setitem(weights.REGISTRY, "fake", spec)
    return spec, calls, fetcher


def test_missing_weights_are_fetched_once_and_verified(fake_model, tmp_path):
    _, calls, _ = fake_model
    assert weights.cache_dir() == tmp_path / "cache"
    assert weights.verify("fake").status == "missing"
    path = weights.ensure_weights("fake")
    assert path.read_bytes() == PAYLOAD and len(calls) == 1
    assert weights.ensure_weights("fake") == path and len(calls) == 1
    assert weights.verify("fake").ok and weights.is_available("fake")


def test_corrupt_weights(fake_model):
    _, calls, _ = fake_model
    path = weights.ensure_weights("fake")
    path.write_bytes(b"tampered")
    assert weights.verify("fake").status == "corrupt"
    with pytest.raises(WeightsError, match="models fetch fake"):
        weights.ensure_weights("fake", allow_fetch=False)
    assert weights.ensure_weights("fake").read_bytes() == PAYLOAD and len(calls) == 2


def test_a_bad_download_leaves_nothing(fake_model):
    _, _, fetcher = fake_model
    fetcher.payload = b"something else"
    with pytest.raises(WeightsError, match="sha256"):
        weights.fetch("fake")
    assert not weights.model_path("fake").exists()
    assert not list(weights.cache_dir().glob("*.download"))


def test_missing_without_fetch_and_unknown_names(fake_model):
    with pytest.raises(WeightsError, match="not installed"):
        weights.ensure_weights("fake", allow_fetch=False)
    with pytest.raises(WeightsError, match="Unknown model"):
        weights.get_spec("nope")


def test_env_override_of_a_model_path(monkeypatch, tmp_path):
    target = tmp_path / "mine.tflite"
    monkeypatch.setenv(weights.SELFIE.env_override, str(target))
    assert weights.model_path(weights.SELFIE.name) == target
    assert weights.verify(weights.SELFIE.name).status == "missing"


def test_models_cli(fake_model, capsys):
    assert cli.main(["models", "verify", "fake"]) == 1
    assert "missing" in capsys.readouterr().out
    assert cli.main(["models", "fetch", "fake"]) == 0
    assert cli.main(["models", "verify", "fake"]) == 0
    out = capsys.readouterr().out
    assert "fake: ok" in out
    assert cli.main(["models", "list"]) == 0 and "fake" in capsys.readouterr().out
    assert cli.main(["models", "path", "fake"]) == 0 and "fake.bin" in capsys.readouterr().out
    assert cli.main(["models", "verify", "nope"]) == 2
