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


def test_classical_methods_in_child_processes_give_the_same_result_and_progress(synthetic_composite):
    s = synthetic_composite
    here = Pipeline(method="knn").run(s["image"], trimap=s["trimap"])
    seen = []
    there = Pipeline(method="knn", classical_in_child=True).run(s["image"], trimap=s["trimap"],
                                                               progress=lambda f, m: seen.append(f))
    np.testing.assert_allclose(there.alpha, here.alpha, atol=1e-5)
    np.testing.assert_allclose(there.foreground, here.foreground, atol=1e-5)
    assert seen and seen[-1] == 1.0 and all(b >= a - 1e-9 for a, b in zip(seen, seen[1:]))


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
    assert not hasattr(pipe, "warnings") and pipe.fallback_warning is None


# -- one pipeline, several threads -------------------------------------------------------------------------


def small_shot(i: int) -> np.ndarray:
    """Image ``i`` of the stress test: a red disc on a light noisy background, 24..42 × 28..44 px."""
    rng = np.random.default_rng(i)
    h, w = 24 + 3 * (i % 7), 28 + 4 * (i % 5)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.clip((min(h, w) / 3 - np.hypot(yy - h / 2, xx - w / 2)) / 2 + 0.5, 0, 1)[..., None]
    return (a * np.float32([0.9, 0.3, 0.2]) + (1 - a) * (0.75 + 0.2 * rng.random((h, w, 3)))).astype(np.float32)


def test_four_threads_sharing_a_pipeline_match_serial_runs(monkeypatch):
    import threading

    from matting_studio.engine import segmentation

    # pymatting's foreground estimation costs 0.4 s even on 30 px under load; it is not the shared state tested
    monkeypatch.setattr(pipeline_mod.classical, "estimate_foreground", lambda image, alpha, **kw: image * alpha[..., None])
    built = []
    real_get = segmentation.get_segmenter

    def slow_get(name, **kw):  # a slow first build, so that unlocked threads would each build one
        built.append(name)
        threading.Event().wait(0.05)
        return real_get(name, **kw)

    monkeypatch.setattr(segmentation, "get_segmenter", slow_get)
    images = [small_shot(i) for i in range(20)]
    serial = [Pipeline(segmenter="object", method="knn").run(im) for im in images]
    built.clear()
    shared = Pipeline(segmenter="object", method="knn")
    start, results, errors = threading.Barrier(4), {}, []

    def work(t):
        try:
            start.wait()
            for i in range(20) if t % 2 == 0 else reversed(range(20)):  # two orders
                results[t, i] = shared.run(images[i])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors and len(results) == 80 and built == ["object"]
    assert sum(r.subject_found for r in serial) >= 15  # the runs really solve something
    for (t, i), got in results.items():
        want = serial[i]
        assert np.array_equal(got.alpha, want.alpha) and np.array_equal(got.trimap, want.trimap), (t, i)
        assert np.array_equal(got.foreground, want.foreground) and got.warnings == want.warnings, (t, i)


def test_the_learned_models_are_made_once_for_concurrent_callers(monkeypatch):
    import threading

    from matting_studio.engine import learned

    made = []

    class Slow:
        def __init__(self, **kw):
            made.append(kw)
            threading.Event().wait(0.05)

    monkeypatch.setattr(learned, "LearnedMatting", Slow)
    pipe = Pipeline(method="cf")
    got, start = [], threading.Barrier(4)
    threads = [threading.Thread(target=lambda: (start.wait(), got.append(pipe._learned_models()))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(made) == 1 and len(got) == 4 and all(g is got[0] for g in got)


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


def test_automatic_mode_mattes_black_and_white_photos_with_a_trimap_by_closed_form_unless_a_method_is_chosen(
        synthetic_composite):
    from matting_studio.core.monochrome import is_monochrome
    from matting_studio.core.motion import grayscale

    c = synthetic_composite
    gray = np.repeat(grayscale(c["image"])[..., None], 3, axis=2)
    assert not is_monochrome(c["image"]) and is_monochrome(gray)
    automatic = Pipeline(device="cpu")
    assert automatic.method == "dlmng"  # the shipped default (tests/engine/test_bundled_weights.py)
    bw = automatic.run(gray, trimap=c["trimap"])
    assert bw.method == pipeline_mod.MONOCHROME_METHOD == "cf" and pipeline_mod.MONOCHROME_NOTE in bw.warnings
    colour = automatic.run(c["image"], trimap=c["trimap"])
    assert colour.method == "dlmng" and pipeline_mod.MONOCHROME_NOTE not in colour.warnings
    chosen = Pipeline(device="cpu", method="dlmng").run(gray, trimap=c["trimap"])
    assert chosen.method == "dlmng" and not chosen.warnings
    segmented = automatic.run(gray, soft_mask=np.clip((c["alpha"] - 0.5) * 1.5 + 0.5, 0, 1))
    assert segmented.method == "dlmng"  # its own segmentation's trimap stays with the learned matting
    cf = Pipeline(device="cpu", method="cf").run(gray, trimap=c["trimap"]).alpha
    np.testing.assert_allclose(bw.alpha, cf, atol=1e-4)
