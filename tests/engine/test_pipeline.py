"""The pipeline end to end on synthetic composites with a known alpha."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core.errors import Cancelled, MethodError
from matting_studio.core.progress import CancelToken
from matting_studio.engine import pipeline as pipeline_mod
from matting_studio.engine.pipeline import Pipeline


def product_shot(h=120, w=160):
    """A red rounded object with a soft edge on a light textured background; returns (image, alpha)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((yy - h / 2) / 0.8, xx - w / 2)
    alpha = np.clip((38.0 - r) / 3.0 + 0.5, 0, 1).astype(np.float32)
    fg = np.stack([0.8 + 0 * xx, 0.15 + 0.1 * yy / h, 0.1 + 0 * xx], -1)
    bg = np.stack([0.85 + 0.03 * np.sin(xx / 3), 0.85 + 0 * xx, 0.8 + 0.03 * np.cos(yy / 4)], -1)
    image = (alpha[..., None] * fg + (1 - alpha[..., None]) * bg).astype(np.float32)
    return image, alpha


def test_object_mode_end_to_end_recovers_known_alpha():
    image, alpha = product_shot()
    result = Pipeline(segmenter="object", method="cf").run(image)
    assert result.alpha.shape == alpha.shape and result.foreground.shape == image.shape
    assert result.alpha.dtype == np.float32 and 0 <= result.alpha.min() and result.alpha.max() <= 1
    assert set(np.unique(result.trimap)) <= {0.0, 0.5, 1.0}
    assert {"segmentation", "trimap", "matting"} <= set(result.timings)
    # mean absolute alpha error over the whole image (measured ≈ 0.01; bound with margin)
    assert np.abs(result.alpha - alpha).mean() < 0.03


def test_given_trimap_skips_segmentation(synthetic_composite, monkeypatch):
    s = synthetic_composite
    pipe = Pipeline(segmenter="person", method="knn")
    monkeypatch.setattr(pipe, "segment", lambda *a, **k: pytest.fail("segmentation must not run"))
    result = pipe.run(s["image"], trimap=s["trimap"])
    assert result.soft_mask is None and result.segmenter is None
    assert np.abs(result.alpha - s["alpha"]).mean() < 0.03
    known = s["trimap"] != 0.5
    np.testing.assert_allclose(result.alpha[known], s["trimap"][known], atol=1e-6)


def test_soft_mask_stage_is_swappable(synthetic_composite):
    s = synthetic_composite
    soft = (s["alpha"] > 0.5).astype(np.float32)
    result = Pipeline(method="cf").run(s["image"], soft_mask=soft)
    assert result.soft_mask is soft
    assert np.abs(result.alpha - s["alpha"]).mean() < 0.05


def test_progress_and_cancel(synthetic_composite):
    s = synthetic_composite
    seen = []
    Pipeline(method="cf").run(s["image"], trimap=s["trimap"], progress=lambda f, m: seen.append(f))
    assert seen and seen[-1] == 1.0 and all(b >= a - 1e-9 for a, b in zip(seen, seen[1:]))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        Pipeline(method="cf").run(s["image"], trimap=s["trimap"], cancel=token)


def test_unknown_names_are_typed_errors():
    with pytest.raises(MethodError):
        Pipeline(method="nope")
    with pytest.raises(MethodError):
        Pipeline(segmenter="nope")


def test_available_methods_lists_classical_and_default_is_available():
    methods = pipeline_mod.available_methods()
    assert {"cf", "knn", "rw", "lkm", "lbdm"} <= set(methods)
    assert pipeline_mod.default_method() in methods


def test_learned_matting_times_its_prior_stage_once(tmp_path):
    import torch

    from matting_studio.engine.models import build_dlmng
    from matting_studio.engine.models import colour_prior

    weights = tmp_path / "dlmng.pt"
    torch.save({"model": build_dlmng(config="lite").state_dict(), "size": "lite"}, weights)
    image, alpha = product_shot()
    trimap = np.where(alpha > 0.99, 1.0, np.where(alpha < 0.01, 0.0, 0.5)).astype(np.float32)
    calls = []
    real = colour_prior.matting_prior
    colour_prior.matting_prior = lambda *a, **k: calls.append(1) or real(*a, **k)
    try:
        result = Pipeline(method="dlmng", weights=weights).run(image, trimap=trimap)
    finally:
        colour_prior.matting_prior = real
    assert calls == [1]  # one prior, on the whole image, for inference
    assert {"prior", "networks", "matting"} <= set(result.timings) and result.timings["prior"] > 0
    assert np.abs(result.alpha - alpha)[trimap == 0.5].mean() < 0.1
