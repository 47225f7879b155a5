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


# -- nothing found / fully confident ---------------------------------------------------------------------


def test_no_subject_found_is_an_empty_result_with_a_warning_not_a_trimap_error(synthetic_composite):
    image = synthetic_composite["image"]
    result = Pipeline(method="cf").run(image, soft_mask=np.full(image.shape[:2], 0.2, np.float32))
    assert not result.subject_found and pipeline_mod.NO_SUBJECT in result.warnings
    assert result.alpha.shape == image.shape[:2] and not result.alpha.any()


def test_a_fully_confident_mask_gives_the_cut_out(synthetic_composite):
    image = synthetic_composite["image"]
    result = Pipeline(method="cf").run(image, soft_mask=np.ones(image.shape[:2], np.float32))
    assert result.subject_found and result.warnings == []
    assert (result.alpha == 1).all() and np.array_equal(result.foreground, image)
    half = np.zeros(image.shape[:2], np.float32)  # a hard mask with no band: the trimap is the alpha
    half[:, :40] = 1
    pipe = Pipeline(method="knn", erode=0, dilate=0)
    assert np.array_equal(pipe.run(image, soft_mask=half).alpha, half)


def test_warnings_belong_to_each_result_not_to_the_shared_pipeline(synthetic_composite):
    image = synthetic_composite["image"]
    pipe = Pipeline(method="cf")
    empty = pipe.run(image, soft_mask=np.zeros(image.shape[:2], np.float32))
    full = pipe.run(image, soft_mask=np.ones(image.shape[:2], np.float32))
    assert empty.warnings == [pipeline_mod.NO_SUBJECT] and full.warnings == []
    assert not hasattr(pipe, "warnings")
