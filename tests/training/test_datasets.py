"""Composition dataset, imperfect segmentation, unlabelled photos."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from matting_studio.core.errors import DatasetError
from matting_studio.training import datasets
from matting_studio.training.augment import AugmentConfig
from matting_studio.training.datasets import CompositionDataset, UnlabelledPhotos
from matting_studio.training.imperfect_segmentation import imperfect_segmentation, random_trimap


CLEAN = AugmentConfig(noise_std=0.0, jpeg_probability=0.0, blur_probability=0.0, resample_probability=0.0)


def test_samples_have_the_documented_shapes_ranges_and_composition(tiny_dataset):
    data, bg = tiny_dataset
    ds = CompositionDataset(data, bg, crop=32, seed=1, augmentation=CLEAN)
    channels = {"image": 3, "alpha": 1, "fg": 3, "bg": 3, "soft_seg": 1, "motion": 4, "trimap": 1, "unknown": 1,
                "seg_trimap": 1, "seg_unknown": 1}
    for i in range(5):
        s = ds[i]
        assert {k: v.shape for k, v in s.items()} == {k: (c, 32, 32) for k, c in channels.items()}
        assert all(v.dtype == torch.float32 and v.min() >= 0 and v.max() <= 1 for v in s.values())
        recomposed = s["alpha"] * s["fg"] + (1 - s["alpha"]) * s["bg"]
        assert torch.allclose(s["image"], recomposed, atol=1e-6)
        assert set(torch.unique(s["trimap"]).tolist()) <= {0.0, 0.5, 1.0}
        assert torch.equal(s["unknown"], (s["trimap"] == 0.5).float())
        assert set(torch.unique(s["seg_trimap"]).tolist()) <= {0.0, 0.5, 1.0}
        assert torch.equal(s["seg_unknown"], (s["seg_trimap"] == 0.5).float())
        # the automatic trimap is made from the soft segmentation: known FG only where the mask is sure
        assert bool((s["soft_seg"][s["seg_trimap"] == 1.0] >= 0.95).all())


def test_samples_are_a_pure_function_of_seed_and_index(tiny_dataset):
    data, bg = tiny_dataset
    a, b = CompositionDataset(data, bg, crop=32, seed=5), CompositionDataset(data, bg, crop=32, seed=5)
    assert all(torch.equal(a[3][k], b[3][k]) for k in a[3])
    assert not torch.equal(a[3]["image"], a[4]["image"])


def test_foreground_estimated_once_and_cached(tiny_dataset, tmp_path, monkeypatch):
    data, bg = tiny_dataset
    for p in (data / "fg").iterdir():
        p.unlink()
    (data / "fg").rmdir()
    calls = []
    import matting_studio.classical as classical

    real = classical.estimate_foreground
    monkeypatch.setattr(classical, "estimate_foreground", lambda *a, **k: calls.append(1) or real(*a, **k))
    cache = tmp_path / "cache"
    ds = CompositionDataset(data, bg, crop=32, cache_dir=cache, seed=0)
    for i in range(12):  # touches every foreground, several more than once
        ds.sample(i)
    assert len(calls) == 3 and len(list(cache.glob("fg_*.npy"))) == 3
    again = CompositionDataset(data, bg, crop=32, cache_dir=cache, seed=0)
    for i in range(12):
        again.sample(i)
    assert len(calls) == 3  # the new dataset read the cache instead of estimating again


def test_imperfect_segmentation_differs_but_correlates():
    yy, xx = np.mgrid[0:96, 0:96].astype(np.float32)
    alpha = np.clip((30 - np.hypot(yy - 48, xx - 48)) / 3 + 0.5, 0, 1).astype(np.float32)
    rng = np.random.default_rng(0)
    for _ in range(5):
        seg = imperfect_segmentation(alpha, rng)
        assert seg.shape == alpha.shape and 0 <= seg.min() and seg.max() <= 1
        assert np.abs(seg - alpha).mean() > 1e-3
        assert np.corrcoef(seg.ravel(), alpha.ravel())[0, 1] > 0.5
    trimap = random_trimap(alpha, rng)
    assert set(np.unique(trimap)) == {0.0, 0.5, 1.0}
    assert np.all(trimap[(alpha > 0.01) & (alpha < 0.99)] == 0.5)


def test_random_trimap_bands_are_drawn_independently_on_each_side_of_the_edge():
    """A hard-edged disc of radius 30: the unknown band reaches a random distance inside and another outside."""
    yy, xx = np.mgrid[0:160, 0:160].astype(np.float32)
    r = np.hypot(yy - 80, xx - 80)
    alpha = (r < 30).astype(np.float32)
    rng = np.random.default_rng(3)
    sides = []
    for _ in range(12):
        trimap = random_trimap(alpha, rng, low=2, high=16)
        unknown = r[trimap == 0.5]
        inner, outer = 30 - unknown.min(), unknown.max() - 30
        assert 1 <= inner <= 17 and 1 <= outer <= 17
        sides.append((inner, outer))
    assert sum(abs(i - o) > 3 for i, o in sides) >= 4  # asymmetric bands are common, not an accident


def test_defocus_setting_blurs_the_subject_and_keeps_the_compositing_equation(tiny_dataset):
    data, bg = tiny_dataset
    plain = CompositionDataset(data, bg, crop=32, seed=5, synthetic_fraction=0.5,
                               augmentation=AugmentConfig(**{**CLEAN.to_dict(), "defocus": 0.0}))
    soft = CompositionDataset(data, bg, crop=32, seed=5, synthetic_fraction=0.5,
                              augmentation=AugmentConfig(**{**CLEAN.to_dict(), "defocus": 1.0}))
    ramp = lambda s: int(((s["alpha"] > 0.01) & (s["alpha"] < 0.99)).sum())
    for i in range(4):
        a, b = plain[i], soft[i]  # the same subject and crop (drawn before the blur), then blurred
        assert torch.allclose(b["image"], b["alpha"] * b["fg"] + (1 - b["alpha"]) * b["bg"], atol=1e-6)
        assert ramp(b) > ramp(a) or float(a["alpha"].max()) == 0.0
        assert bool((b["trimap"][(b["alpha"] > 0.001) & (b["alpha"] < 0.999)] == 0.5).all())  # the ramp is unknown


def test_lookalike_setting_changes_only_the_background_of_composites(tiny_dataset):
    data, bg = tiny_dataset
    plain = CompositionDataset(data, bg, crop=32, seed=5, synthetic_fraction=0.5,
                               augmentation=AugmentConfig(**{**CLEAN.to_dict(), "lookalike": 0.0, "palette": 0.0}))
    look = CompositionDataset(data, bg, crop=32, seed=5, synthetic_fraction=0.5,
                              augmentation=AugmentConfig(**{**CLEAN.to_dict(), "lookalike": 1.0}))
    changed = 0
    for i in range(6):
        a, b = plain[i], look[i]
        assert torch.equal(a["alpha"], b["alpha"]) and torch.equal(a["fg"], b["fg"])
        assert torch.allclose(b["image"], b["alpha"] * b["fg"] + (1 - b["alpha"]) * b["bg"], atol=1e-6)
        changed += not torch.equal(a["bg"], b["bg"])
    assert changed >= 5  # every composite whose subject is in the crop gets its look-alike background


def test_synthetic_only_dataset(tiny_dataset):
    _, bg = tiny_dataset
    s = CompositionDataset(None, bg, crop=32, synthetic_fraction=1.0, augmentation=CLEAN)[0]
    assert torch.allclose(s["image"], s["alpha"] * s["fg"] + (1 - s["alpha"]) * s["bg"], atol=1e-6)


def test_dataset_errors(tmp_path, tiny_dataset):
    _, bg = tiny_dataset
    with pytest.raises(DatasetError):
        CompositionDataset(tmp_path, bg)
    with pytest.raises(DatasetError):
        CompositionDataset(None, bg)
    with pytest.raises(DatasetError):
        datasets.background_paths(tmp_path)


def test_unlabelled_photos(tiny_dataset):
    data, bg = tiny_dataset
    ds = UnlabelledPhotos(data / "image", bg, crop=32)
    s = ds[0]
    assert s["image"].shape == (3, 32, 32) and s["new_bg"].shape == (3, 32, 32)
    assert s["soft_seg"].shape == (1, 32, 32) and s["motion"].shape == (4, 32, 32)
    seg_ds = UnlabelledPhotos(data / "image", bg, crop=32, segment=lambda im: np.full(im.shape[:2], 0.25, np.float32))
    assert torch.all(seg_ds[1]["soft_seg"] == 0.25)


def test_real_samples_are_crops_of_the_photo_with_its_whole_image_prior(tiny_dataset):
    from matting_studio.core import imageio

    data, bg = tiny_dataset
    ds = CompositionDataset(data, bg, crop=32, seed=2, real_fraction=1.0, augment=False)
    photos = {p.stem: (imageio.load_image(p).rgb, imageio.load_gray(data / "alpha" / p.name))
              for p in sorted((data / "image").iterdir())}
    for i in range(4):
        s = ds.sample(i, prior_key="trimap")
        assert s["image"].shape == (32, 32, 3) and s["prior"].shape == (32, 32, 10)
        # find the photo and the crop it was cut from (no augmentation: same scale, no flip or gain)
        hits = [(stem, y, x) for stem, (img, _) in photos.items()
                for y in range(img.shape[0] - 31) for x in range(img.shape[1] - 31)
                if np.allclose(img[y:y + 32, x:x + 32], s["image"], atol=0.6 / 255)]
        assert len(hits) == 1
        stem, y, x = hits[0]
        image, alpha = photos[stem]
        assert np.allclose(s["alpha"], alpha[y:y + 32, x:x + 32], atol=1 / 255)
        # on its own background: the recovered background recomposes the photo where it shows
        recomposed = s["alpha"][..., None] * s["fg"] + (1 - s["alpha"][..., None]) * s["bg"]
        shows = s["alpha"] < 0.9
        assert shows.any() and np.abs(recomposed - s["image"])[shows].max() < 0.02
        assert set(np.unique(s["trimap"]).tolist()) <= {0.0, 0.5, 1.0}
        assert np.array_equal(s["unknown"], (s["trimap"] == 0.5).astype(np.float32))


def test_real_sample_prior_comes_from_the_whole_photo(tiny_dataset, monkeypatch):
    data, bg = tiny_dataset
    seen = []
    real = datasets._prior_hwc
    monkeypatch.setattr(datasets, "_prior_hwc", lambda image, trimap: seen.append(image.shape) or real(image, trimap))
    ds = CompositionDataset(data, bg, crop=32, seed=2, real_fraction=1.0, augment=False)
    s = ds.sample(0, prior_key="seg_trimap")
    assert seen == [(48, 56, 3)]  # the whole photo, then cropped
    assert s["prior"].shape == (32, 32, 10)
    composite = CompositionDataset(data, bg, crop=32, seed=2, augment=False)
    composite.sample(0, prior_key="trimap")
    assert seen[-1] == (32, 32, 3)  # a composite's background is only the crop's


def test_real_samples_use_the_benchmark_trimaps_when_present(tiny_dataset):
    from matting_studio.core import imageio

    data, bg = tiny_dataset
    for p in (data / "alpha").iterdir():  # a benchmark trimap unlike any random one: a fixed 3-column band
        a = imageio.load_gray(p)
        tri = np.where(a > 0.5, 1.0, 0.0).astype(np.float32)
        tri[:, 20:23] = 0.5
        imageio.save_png(data / "trimap" / p.name, tri)
    ds = CompositionDataset(data, bg, crop=32, seed=3, real_fraction=1.0, augment=False)
    samples = [ds.sample(i) for i in range(6)]
    band = [bool((s["trimap"] == 0.5).any() and np.array_equal(np.flatnonzero((s["trimap"] == 0.5).all(0)),
                                                                 np.flatnonzero((s["trimap"] == 0.5).any(0))))
            for s in samples]
    assert all(band)  # real samples take the benchmark trimap, as the user's and as the automatic one
    assert all(np.array_equal(s["seg_trimap"], s["trimap"]) for s in samples)


def test_real_fraction_zero_keeps_the_composited_samples(tiny_dataset):
    data, bg = tiny_dataset
    a = CompositionDataset(data, bg, crop=32, seed=5)
    b = CompositionDataset(data, bg, crop=32, seed=5, real_fraction=0.0)
    assert all(torch.equal(a[2][k], b[2][k]) for k in a[2])


def test_wide_band_setting_gives_the_adaptive_band_and_wide_drawn_trimaps(tiny_dataset):
    """``wide_band=1``: every composite's automatic trimap is the adaptive band of its soft segmentation and the
    drawn trimap may reach a quarter of the crop; ``wide_band=0`` draws nothing extra (samples are unchanged)."""
    from matting_studio.core.adaptive_band import adaptive_trimap

    data, bg = tiny_dataset
    plain = CompositionDataset(data, bg, crop=64, seed=2, augmentation=CLEAN)
    default = CompositionDataset(data, bg, crop=64, seed=2, augmentation=AugmentConfig(**{**CLEAN.to_dict(),
                                                                                        "wide_band": 0.0}))
    wide = CompositionDataset(data, bg, crop=64, seed=2, augmentation=AugmentConfig(**{**CLEAN.to_dict(),
                                                                                     "wide_band": 1.0}))
    unknown = {"plain": [], "wide": []}
    for i in range(8):
        p, d, w = plain.sample(i), default.sample(i), wide.sample(i)
        assert all(np.array_equal(p[k], d[k]) for k in p)
        assert set(np.unique(w["seg_trimap"])) <= {0.0, 0.5, 1.0}
        matches = [np.array_equal(w["seg_trimap"], adaptive_trimap(w["soft_seg"], w["image"], band=b))
                   for b in range(datasets.ADAPTIVE_BASE[0], datasets.ADAPTIVE_BASE[1] + 1)]
        assert any(matches)
        unknown["plain"].append(p["unknown"].mean())
        unknown["wide"].append(w["unknown"].mean())
    assert np.mean(unknown["wide"]) > 1.3 * np.mean(unknown["plain"])


def test_motion_blur_keeps_a_true_alpha_and_spreads_the_edge_along_the_motion():
    from matting_studio.training.augment import motion_blur

    alpha = np.zeros((32, 32), np.float32)
    alpha[:, 16:] = 1.0
    fg = np.full((32, 32, 3), 0.7, np.float32)
    blurred_fg, blurred = motion_blur(fg, alpha, (6.0, 0.0))
    assert np.allclose(blurred_fg[blurred > 1e-3], 0.7, atol=1e-5)  # a uniform subject keeps its colour
    ramp = blurred[16]
    assert 3 <= int(((ramp > 0.02) & (ramp < 0.98)).sum()) <= 7 and np.all(np.diff(ramp) >= -1e-6)
    assert np.array_equal(motion_blur(fg, alpha, (0.0, 6.0))[1][:, 10], alpha[:, 10])  # no smear across the motion


def test_moving_subject_samples_carry_the_subjects_real_motion_with_the_current_frame_at_channel_2(tiny_dataset):
    """``moving_subject=1``: the four cues differ where the subject moves and the current one is the image's gray."""
    from matting_studio.core.motion import CURRENT_FRAME, grayscale

    data, bg = tiny_dataset
    cfg = AugmentConfig(**{**CLEAN.to_dict(), "moving_subject": 1.0, "warp_probability": 0.0})
    moving = CompositionDataset(data, bg, crop=48, seed=4, augmentation=cfg)
    edges = 0
    for i in range(6):
        s = moving.sample(i)
        cues = s["motion"]
        assert cues.shape == (48, 48, 4) and 0 <= cues.min() and cues.max() <= 1
        assert np.allclose(cues[..., CURRENT_FRAME], grayscale(s["image"]), atol=1e-6)
        edge = (s["alpha"] > 0.05) & (s["alpha"] < 0.95)
        if edge.sum() > 20:  # a subject edge in the crop: it moved between frames (1–6 px per frame)
            assert np.abs(cues[..., 0] - cues[..., CURRENT_FRAME]).max() > 0.02
            edges += 1
        recomposed = s["alpha"][..., None] * s["fg"] + (1 - s["alpha"][..., None]) * s["bg"]
        assert np.abs(recomposed - s["image"]).max() < 1e-5  # the targets are the current frame's (blurred) ones
    assert edges >= 3


def test_monochrome_samples_are_black_and_white_composites_with_black_and_white_targets(tiny_dataset):
    """``monochrome=1``: the composite, its foreground and its background have equal channels (a black-and-white
    photo) and still composite exactly; ``monochrome=0`` draws nothing extra (samples are unchanged)."""
    data, bg = tiny_dataset
    plain = CompositionDataset(data, bg, crop=48, seed=6, real_fraction=0.0, augmentation=CLEAN)
    off = CompositionDataset(data, bg, crop=48, seed=6, real_fraction=0.0,
                             augmentation=AugmentConfig(**{**CLEAN.to_dict(), "monochrome": 0.0}))
    mono = CompositionDataset(data, bg, crop=48, seed=6, real_fraction=0.0,
                              augmentation=AugmentConfig(**{**CLEAN.to_dict(), "monochrome": 1.0}))
    coloured = 0
    for i in range(6):
        p, o, m = plain.sample(i), off.sample(i), mono.sample(i)
        assert all(np.array_equal(p[k], o[k]) for k in p)
        for key in ("image", "fg", "bg"):
            assert np.abs(m[key] - m[key][..., :1]).max() < 1e-6
        recomposed = m["alpha"][..., None] * m["fg"] + (1 - m["alpha"][..., None]) * m["bg"]
        assert np.abs(recomposed - m["image"]).max() < 1e-5
        coloured += int(np.abs(p["image"] - p["image"][..., :1]).max() > 0.02)
    assert coloured >= 3  # the same samples without the setting are in colour


def test_still_photo_cues_hold_the_unshaken_frame_at_the_current_frames_channel(tiny_dataset):
    """Camera shake moves the neighbours only: channel ``CURRENT_FRAME`` is the image's own gray, as in a video."""
    from matting_studio.core.motion import CURRENT_FRAME, grayscale

    data, bg = tiny_dataset
    ds = CompositionDataset(data, bg, crop=48, seed=8, augmentation=CLEAN)
    shaken = 0
    for i in range(12):
        s = ds.sample(i)
        assert np.allclose(s["motion"][..., CURRENT_FRAME], grayscale(s["image"]), atol=1e-6)
        shaken += int(np.abs(s["motion"] - s["motion"][..., CURRENT_FRAME:CURRENT_FRAME + 1]).max() > 1e-3)
    assert shaken >= 1  # some samples carry shaken neighbours
