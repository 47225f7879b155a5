"""The pipeline end to end on synthetic composites with a known alpha."""

from __future__ import annotations

from pathlib import Path

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
    result = Pipeline(segmenter="object", method="cf", segmenter_options={"backend": "grabcut"}).run(image)
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


def test_enclosed_unknown_blob_is_filled_and_checked_against_closed_form(monkeypatch):
    """A solid subject whose soft mask is unsure in the middle: the automatic trimap fills that blob; where the
    image shows background, a learned alpha far below closed-form's is replaced by it."""
    image, alpha = product_shot()
    mask = alpha.copy()
    mask[50:70, 70:90] = 0.5  # unsure inside the object, whose colour is there
    pipe = Pipeline(method="cf")
    assert (pipe.make_trimap(mask, image=image)[50:70, 70:90] == 1.0).all()
    assert (Pipeline(method="cf", fill_holes=False).make_trimap(mask, image=image)[50:70, 70:90] == 0.5).all()
    trimap = pipe.make_trimap(mask)  # no image: the plain trimap, blob unknown
    learned = np.where(trimap == 0.5, 0.0, trimap).astype(np.float32)  # a network that punched the hole
    fg = image.copy()
    region = np.zeros(alpha.shape, bool)
    region[50:70, 70:90] = True
    changed = pipe.check_against_prior(image, trimap, learned, fg, region)
    assert changed == region.sum() and learned[region].min() > 0.9
    assert (learned[~region] == np.where(trimap == 0.5, 0.0, trimap)[~region]).all()


@pytest.mark.network
@pytest.mark.slow
def test_no_hole_in_the_sample_astronauts_suit():
    from matting_studio.core.errors import WeightsError
    from matting_studio.core.imageio import load_image
    from matting_studio.engine import weights

    try:
        weights.ensure_weights(weights.SELFIE.name)
    except WeightsError as exc:
        pytest.skip(f"the selfie model cannot be obtained here: {exc}")
    sample = Path(__file__).resolve().parents[2] / "resources" / "samples" / "nasa_astronaut_sample.png"
    result = Pipeline(device="cpu").run(load_image(sample).rgb)
    patch = result.alpha[336:380, 276:322]  # the name patch, where the person mask is unsure
    assert (patch < 0.5).sum() < 20, (patch < 0.5).sum()  # without the fill: 950 px see-through (DLMN-G → SSRN)
