"""The project's own trained weights in models/: registered, verified, loadable, usable, and as good as their
model cards say."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from matting_studio.core.metrics import mse, sad
from matting_studio.engine import weights
from matting_studio.engine.learned import model_size, read_checkpoint
from matting_studio.engine.models import build_dlmng, build_ssrn
from matting_studio.engine.pipeline import Pipeline, available_methods, default_method

LEARNED = {"dlmng": "dlmng-lite", "ssrn": "ssrn-lite"}
# The shipped DLMN-G is trained on all 20 alphamatting_dev images (its cross-validated scores are the fold runs',
# models/dlmng-lite.md); the card also quotes what the shipped weights score on those 20 training images with
# Trimap1, which this checks: mean SAD / MSE.
CARD_TRAINING_IMAGES = {"dlmng": (4.695, 0.01567)}


def manifest() -> dict:
    return {e["name"]: e for e in json.loads((weights.BUNDLED_DIR / "manifest.json").read_text())}


def test_manifest_lists_both_models_within_the_size_limit_and_sha256_verifies():
    entries = manifest()
    assert set(LEARNED.values()) <= set(entries)
    for name in LEARNED.values():
        path = weights.BUNDLED_DIR / entries[name]["filename"]
        assert path.stat().st_size <= 20 * 1024 * 1024
        assert weights.verify(name).status == "ok"
        assert (weights.BUNDLED_DIR / f"{name}.md").is_file(), "every shipped model has a model card"
    assert weights.LEARNED_WEIGHTS == LEARNED


@pytest.mark.parametrize("kind", ["dlmng", "ssrn"])
def test_bundled_weights_load_with_every_key_matched(kind):
    ckpt = read_checkpoint(weights.ensure_weights(LEARNED[kind], allow_fetch=False))
    build = build_dlmng if kind == "dlmng" else build_ssrn
    model = build(config=model_size(ckpt))
    assert set(ckpt["model"]) == set(model.state_dict())
    assert {k: tuple(v.shape) for k, v in ckpt["model"].items()} == \
        {k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_learned_methods_are_offered_and_the_default_follows_the_manifest(monkeypatch):
    methods = available_methods()
    assert {"dlmng", "ssrn", "cf", "knn", "rw"} <= set(methods)
    entries = manifest()
    # DLMN-G is the default: cross-validated, its mean SAD and MSE are ahead of closed-form's with both benchmark
    # trimaps (models/dlmng-lite.md); SSRN is not (it was trained with an earlier teacher)
    assert entries["dlmng-lite"]["default"] and not entries["ssrn-lite"]["default"]
    assert default_method() == "dlmng" and Pipeline().method == "dlmng"
    # the flags decide: neither promoted → closed-form; SSRN promoted too → DLMN-G → SSRN
    monkeypatch.setitem(weights.REGISTRY, "dlmng-lite", replace(weights.REGISTRY["dlmng-lite"], default=False))
    assert default_method() == "cf" and Pipeline().method == "cf"
    monkeypatch.setitem(weights.REGISTRY, "ssrn-lite", replace(weights.REGISTRY["ssrn-lite"], default=True))
    assert default_method() == "ssrn" and Pipeline().method == "ssrn"


@pytest.mark.parametrize("method", ["dlmng", "ssrn"])
def test_learned_methods_matte_a_synthetic_composite_they_never_saw(synthetic_composite, method):
    c = synthetic_composite
    alpha, fg = Pipeline(method=method, device="cpu").matte(c["image"], c["trimap"])
    assert alpha.shape == c["alpha"].shape and fg.shape == c["image"].shape
    known = c["trimap"] != 0.5
    assert np.array_equal(alpha[known], c["trimap"][known])
    # a soft disc edge between two smooth colours: better than a hard 0/1 guess of the unknown band (measured:
    # SAD 0.069 vs 0.207; see the known defect below)
    hard = (c["alpha"] > 0.5).astype(np.float32)
    assert sad(alpha, c["alpha"], c["trimap"]) < 0.7 * sad(hard, c["alpha"], c["trimap"])
    assert mse(alpha, c["alpha"], c["trimap"]) < 0.01


@pytest.mark.xfail(strict=True, reason="known defect of the shipped dlmng-lite (models/dlmng-lite.md): on a smooth "
                   "soft ramp it sharpens the edge and is more than twice as far off as its own closed-form prior")
def test_dlmng_is_no_worse_than_its_closed_form_prior_on_a_smooth_soft_edge(synthetic_composite):
    """When this starts passing (a better model), drop the xfail and update the model card."""
    from matting_studio.engine.models.colour_prior import matting_prior

    c = synthetic_composite
    alpha, _ = Pipeline(method="dlmng", device="cpu").matte(c["image"], c["trimap"])
    prior = matting_prior(c["image"], c["trimap"])[6]
    assert sad(alpha, c["alpha"], c["trimap"]) <= 2 * sad(prior, c["alpha"], c["trimap"]) + 1e-3


@pytest.mark.data
@pytest.mark.slow
def test_training_image_scores_match_the_model_card(shared_data):
    """The card's numbers for the shipped weights on their 20 training images (benchmark Trimap1), within 5 %."""
    from matting_studio.core import imageio
    from matting_studio.core.trimap import validate_trimap

    root = shared_data / "alphamatting_dev"
    CARD = CARD_TRAINING_IMAGES
    scores = {m: [] for m in CARD}
    pipelines = {m: Pipeline(method=m, device="cpu") for m in CARD}
    for stem in sorted(p.stem for p in (root / "image").iterdir()):
        image = imageio.load_image(root / "image" / f"{stem}.png").rgb
        gt = imageio.load_gray(root / "alpha" / f"{stem}.png")
        trimap = validate_trimap(imageio.load_gray(root / "trimap" / f"{stem}.png"), image.shape)
        for m, p in pipelines.items():
            alpha, _ = p.matte(image, trimap)
            scores[m].append((sad(alpha, gt, trimap), mse(alpha, gt, trimap)))
    for m, card in CARD.items():
        measured = np.mean(scores[m], axis=0)
        assert measured[0] <= 1.05 * card[0] and measured[1] <= 1.05 * card[1], (m, measured, card)
