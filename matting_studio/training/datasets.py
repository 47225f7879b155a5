"""Training data made the Deep Image Matting way, and unlabelled photos for SSRN.

:class:`CompositionDataset` composites foregrounds with a true alpha (a folder ``image/`` + ``alpha/``
[+ ``fg/``], and/or procedural synthetic foregrounds) onto random crops of background images, on the fly:
crops centred on unknown pixels, random scale, flips, colour jitter, a new background every time. Samples are
a pure function of ``(seed, index)`` so that training order is reproducible and resumable.

With ``real_fraction`` some samples are instead crops of the labelled photos themselves, on their own real
background (whose colours overlap the subject's far more often than a random background's), with the
benchmark trimaps (``trimap/``, ``trimap2/``) when the folder has them. Their matting prior is computed on the
whole photo, as at inference, then cropped.

Every sample is a dict of ``float32`` tensors ``(C, S, S)``: ``image`` (3), ``alpha`` (1), ``fg`` (3),
``bg`` (3), ``soft_seg`` (1), ``motion`` (4), ``trimap`` (1, {0, 0.5, 1}, from the true alpha), ``unknown``
(1), ``seg_trimap`` / ``seg_unknown`` (the automatic pipeline's trimap made from ``soft_seg``), with
``image == alpha * fg + (1 - alpha) * bg`` up to float rounding and, when augmenting, the composite's
degradations (noise, JPEG, blur, resampling: :mod:`.augment`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from matting_studio.core import dataset_layout as layout, imageio
from matting_studio.core.errors import DatasetError
from matting_studio.core.motion import CURRENT_FRAME, grayscale
from matting_studio.core.trimap import UNKNOWN
from matting_studio.training import augment as aug
from matting_studio.training.imperfect_segmentation import imperfect_segmentation, random_trimap
from matting_studio.training.synthetic import (defocus, lookalike_background, palette_background,
                                              procedural_background, synthetic_foreground)

MAX_BACKGROUND_SIDE = 1024
# Wide bands (``AugmentConfig.wide_band``): the drawn trimap's sides reach this fraction of the crop, and the
# automatic trimap is the adaptive band with its narrowest half-width in this range (px), so up to 64 px outside the
# mask. At the pipeline's working size (1024 px) the widest adaptive band is ~100 px at 6 MP, ~80 px on alphamatting.
WIDE_BAND = 0.25
ADAPTIVE_BASE = (3, 8)


def pair_foregrounds(root: Path, stems: Optional[Sequence[str]] = None) -> list[tuple[str, Path, Path, Optional[Path]]]:
    """(stem, image, alpha, fg or None) for ``root/image`` + ``root/alpha`` (+ ``root/fg``) with equal stems
    (:mod:`~matting_studio.core.dataset_layout`)."""
    found = layout.pairs(root, [layout.ALPHA], [layout.FOREGROUND], stems)
    items = [(p["stem"], p[layout.IMAGE], p[layout.ALPHA], p[layout.FOREGROUND]) for p in found]
    if not items:
        raise DatasetError(f"No image/alpha pairs with matching names in '{root}'.")
    return items


def background_paths(folders: Sequence[Path] | Path) -> list[Path]:
    folders = [folders] if isinstance(folders, (str, Path)) else list(folders)
    paths = [p for f in folders for p in (imageio.list_images(f) if Path(f).is_dir() else [Path(f)])]
    if not paths:
        raise DatasetError(f"No background images in {', '.join(str(f) for f in folders)}.")
    return paths


def _cached_foreground(image: np.ndarray, alpha: np.ndarray, cache_dir: Optional[Path]) -> np.ndarray:
    """Foreground colours estimated once (pymatting ML) and cached as .npy keyed by the pixels' hash."""
    from matting_studio.classical import estimate_foreground

    key = hashlib.sha256(image.tobytes() + alpha.tobytes()).hexdigest()[:24]
    path = Path(cache_dir) / f"fg_{key}.npy" if cache_dir else None
    if path is not None and path.is_file():
        return np.load(path)
    fg = estimate_foreground(image, alpha).astype(np.float16)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, fg)
        tmp.replace(path)
    return fg


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


class CompositionDataset:
    """Composited training samples (see the module docstring). ``len`` is a virtual epoch."""

    def __init__(self, data_dir: Optional[Path], backgrounds: Sequence[Path] | Path, *, crop: int = 320,
                 stems: Optional[Sequence[str]] = None, synthetic_fraction: float = 0.0, seed: int = 0,
                 cache_dir: Optional[Path] = None, augment: bool = True, length: int = 100_000,
                 real_fraction: float = 0.0, augmentation: Optional[aug.AugmentConfig] = None) -> None:
        self.items = pair_foregrounds(data_dir, stems) if data_dir is not None else []
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.real_fraction = float(real_fraction) if self.items else 0.0
        if not self.items and synthetic_fraction <= 0:
            raise DatasetError("No foregrounds: give a data folder or a synthetic fraction.")
        self.synthetic_fraction = 1.0 if not self.items else float(synthetic_fraction)
        self.augmentation = augmentation or aug.AugmentConfig()
        self.backgrounds = background_paths(backgrounds)
        self.crop, self.seed, self.augment, self.length = crop, seed, augment, length
        self.cache_dir = cache_dir
        self._fg_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._bg_cache: dict[int, np.ndarray] = {}
        self._photo_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._real_cache: dict[tuple, dict[str, np.ndarray]] = {}

    def __len__(self) -> int:
        return self.length

    # -- sources ---------------------------------------------------------------------------------------

    def _foreground(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        if i not in self._fg_cache:
            _, image_path, alpha_path, fg_path = self.items[i]
            image = imageio.load_image(image_path).rgb
            alpha = imageio.load_gray(alpha_path)
            if alpha.shape != image.shape[:2]:
                raise DatasetError(f"'{alpha_path}' is not the size of its image.")
            fg = imageio.load_image(fg_path).rgb if fg_path else _cached_foreground(image, alpha, self.cache_dir)
            self._fg_cache[i] = (_to_uint8(fg), _to_uint8(alpha))
        fg, alpha = self._fg_cache[i]
        return fg.astype(np.float32) / 255, alpha.astype(np.float32) / 255

    def _benchmark_trimaps(self, i: int) -> list[Path]:
        stem = self.items[i][0]
        return [p for folder in ("trimap", "trimap2") for p in (self.data_dir / folder).glob(f"{stem}.png")]

    def _background(self, i: int) -> np.ndarray:
        if i not in self._bg_cache:
            rgb = imageio.load_image(self.backgrounds[i]).rgb
            s = min(1.0, MAX_BACKGROUND_SIDE / max(rgb.shape[:2]))
            if s < 1:
                rgb = cv2.resize(rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)), interpolation=cv2.INTER_AREA)
            self._bg_cache[i] = _to_uint8(rgb)
        return self._bg_cache[i].astype(np.float32) / 255

    # -- sample ----------------------------------------------------------------------------------------

    def _crop_foreground(self, fg, alpha, rng):
        s = self.crop
        h, w = alpha.shape
        size = int(min(h, w, s * (aug.crop_scale(self.augmentation, rng) if self.augment else 1.0)))
        size = max(8, size)
        y0, x0 = self._crop_origin(alpha, rng, size)
        fg, alpha = fg[y0:y0 + size, x0:x0 + size], alpha[y0:y0 + size, x0:x0 + size]
        if size != s:
            interp = cv2.INTER_AREA if size > s else cv2.INTER_LINEAR
            fg, alpha = cv2.resize(fg, (s, s), interpolation=interp), cv2.resize(alpha, (s, s), interpolation=interp)
        return fg, alpha

    def _crop_background(self, bg, rng):
        s = self.crop
        h, w = bg.shape[:2]
        scale = max(s / h, s / w) * (rng.uniform(1.0, 1.5) if self.augment else 1.0)
        if scale > 1 or self.augment:
            bg = cv2.resize(bg, (max(s, round(w * scale)), max(s, round(h * scale))), interpolation=cv2.INTER_LINEAR)
        h, w = bg.shape[:2]
        y0, x0 = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
        bg = bg[y0:y0 + s, x0:x0 + s]
        return bg[:, ::-1] if self.augment and rng.random() < 0.5 else bg

    def sample(self, index: int, prior_key: Optional[str] = None) -> dict[str, np.ndarray]:
        """The sample for ``index`` as numpy arrays ``(S, S, C)`` / ``(S, S)``; with ``prior_key``
        (``"trimap"`` or ``"seg_trimap"``) also ``prior`` ``(S, S, 10)``, the matting prior for that trimap."""
        rng = np.random.default_rng([self.seed, index])
        if self.real_fraction > 0 and rng.random() < self.real_fraction:
            return self._real_sample(rng, prior_key)
        cfg = self.augmentation
        fg, alpha = self._any_foreground(rng)
        if self.augment and rng.random() < cfg.two_foregrounds:  # a second subject behind the first
            fg, alpha = aug.union(fg, alpha, *self._any_foreground(rng))
        bg = self._crop_background(self._background(int(rng.integers(0, len(self.backgrounds)))), rng)
        if self.augment and rng.random() < cfg.procedural_background:
            bg = procedural_background(self.crop, rng)
        if self.augment and rng.random() < cfg.background_blur:
            bg = cv2.GaussianBlur(np.ascontiguousarray(bg, np.float32), (0, 0), rng.uniform(1.0, 6.0))
        fg, alpha, bg = (np.ascontiguousarray(a, dtype=np.float32) for a in (fg, alpha, bg))
        if self.augment:
            if rng.random() < cfg.defocus:
                fg, alpha = defocus(fg, alpha, rng)
            if rng.random() < cfg.lookalike:
                bg = lookalike_background(fg, alpha, bg, rng)
            elif rng.random() < cfg.palette:
                bg = palette_background(fg, alpha, bg, rng)
        if self.augment and cfg.monochrome > 0 and rng.random() < cfg.monochrome:  # no draw when off
            fg, bg = aug.monochrome(fg, bg)
        frames = None
        if self.augment and cfg.moving_subject > 0 and rng.random() < cfg.moving_subject:  # no draw when off
            fg, alpha, frames = aug.moving_frames(fg, alpha, bg, rng)
            image = frames[CURRENT_FRAME]
        else:
            image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg  # composite after all fg augmentation
        if self.augment:
            image = aug.degrade(image, cfg, rng)
        wide = self.augment and cfg.wide_band > 0 and rng.random() < cfg.wide_band  # no draw when off
        trimap = random_trimap(alpha, rng, high=int(self.crop * WIDE_BAND) if wide else None)
        motion = self._motion(image, rng) if frames is None else self._moving_cues(image, frames, rng)
        soft_seg = imperfect_segmentation(alpha, rng)
        seg_trimap = seg_trimap_like_pipeline(soft_seg, rng, image=image if wide else None)
        out = {"image": image, "alpha": alpha, "fg": fg, "bg": bg, "soft_seg": soft_seg, "motion": motion,
               "trimap": trimap, "seg_trimap": seg_trimap}
        if prior_key is not None:
            out["prior"] = _prior_hwc(image, out[prior_key])
        return _with_unknown(out)

    def _any_foreground(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A foreground crop ``(S, S, 3)`` and its alpha ``(S, S)``: procedural or a labelled one, augmented."""
        if rng.random() < self.synthetic_fraction:
            fg, alpha = synthetic_foreground(self.crop, seed=int(rng.integers(0, 2**31)))
        else:
            fg, alpha = self._crop_foreground(*self._foreground(int(rng.integers(0, len(self.items)))), rng)
        if self.augment:
            fg, alpha = aug.warp(np.ascontiguousarray(fg), np.ascontiguousarray(alpha), self.augmentation, rng)
            if rng.random() < 0.5:
                fg, alpha = fg[:, ::-1], alpha[:, ::-1]
            fg = aug.recolour(np.ascontiguousarray(fg, np.float32), self.augmentation, rng)
        return np.ascontiguousarray(fg, np.float32), np.ascontiguousarray(alpha, np.float32)

    def _motion(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``(S, S, 4)``: the grayscale frame four times, a still photo or a burst with tiny camera shake; the
        frame itself is at ``CURRENT_FRAME``, as ``video.cues`` puts it."""
        gray = grayscale(image)
        neighbours = []
        for _ in range(3):
            if self.augment and rng.random() < 0.3:
                shift = np.float32([[1, 0, rng.uniform(-1.5, 1.5)], [0, 1, rng.uniform(-1.5, 1.5)]])
                neighbours.append(cv2.warpAffine(gray, shift, gray.shape[::-1], borderMode=cv2.BORDER_REPLICATE))
            else:
                neighbours.append(gray)
        neighbours.insert(CURRENT_FRAME, gray)
        return np.stack(neighbours, -1)

    def _moving_cues(self, image: np.ndarray, frames: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
        """``(S, S, 4)``: the grayscale of a moving subject's four frames, the current one being ``image`` (already
        degraded); each neighbour is degraded on its own, as a video's frames are."""
        seeds = rng.integers(0, 2**31, size=len(frames))
        grays = [grayscale(image if k == CURRENT_FRAME else
                           aug.degrade(frame, self.augmentation, np.random.default_rng(int(seeds[k]))))
                 for k, frame in enumerate(frames)]
        return np.stack(grays, -1)

    def _real_sample(self, rng: np.random.Generator, prior_key: Optional[str]) -> dict[str, np.ndarray]:
        """A crop of a labelled photo on its own background, with one of the dataset's benchmark trimaps
        (``trimap/``, ``trimap2/``; a random band when it has none) as both the user's and the automatic trimap.
        The matting prior is made on the whole (rescaled) photo first, as the pipeline makes it, then cropped;
        it is cached per (photo, trimap, scale), so real samples cost about what composites cost."""
        i = int(rng.integers(0, len(self.items)))
        s = self.crop
        h, w = self._photo(i)[1].shape
        f = float(rng.choice([1.0, 1.5, 2.0])) if self.augment else 1.0
        f = min(f, min(h, w) / s)  # the rescaled photo still covers the crop
        trimaps = self._benchmark_trimaps(i)
        choice = int(rng.integers(0, len(trimaps))) if trimaps else -1
        full = self._real_photo(i, f, trimaps[choice] if trimaps else None, prior_key is not None, rng)
        full = {k: v.astype(np.float32) / (255 if v.dtype == np.uint8 else 1) for k, v in full.items()}
        if self.augment:
            if rng.random() < 0.5:
                full = {k: v[:, ::-1] for k, v in full.items()}
            gain = rng.uniform(0.8, 1.2, size=3).astype(np.float32) * np.float32(rng.uniform(0.85, 1.15))
            for key in ("image", "fg", "bg"):
                full[key] = np.clip(full[key] * gain, 0, 1)
            if "prior" in full:  # propagated F and B follow the colours they were propagated from
                full["prior"] = full["prior"].copy()
                full["prior"][..., :6] = np.clip(full["prior"][..., :6] * np.tile(gain, 2), 0, 1)
        y0, x0 = self._crop_origin(full["alpha"], rng, s)
        out = {k: np.ascontiguousarray(v[y0:y0 + s, x0:x0 + s], dtype=np.float32) for k, v in full.items()}
        out["soft_seg"] = imperfect_segmentation(out["alpha"], rng)
        out["seg_trimap"] = out["trimap"]
        out["motion"] = self._motion(out["image"], rng)
        return _with_unknown(out)

    def _real_photo(self, i: int, f: float, trimap_path: Optional[Path], with_prior: bool,
                    rng: np.random.Generator) -> dict[str, np.ndarray]:
        """The photo ``i`` rescaled by ``1/f`` with its alpha, foreground, own background, trimap (and prior):
        uint8 colours, float16 prior; cached when the trimap is a file."""
        key = (i, f, str(trimap_path), with_prior)
        if trimap_path is not None and key in self._real_cache:
            return self._real_cache[key]
        image, alpha = self._photo(i)
        fg, _ = self._foreground(i)
        h, w = alpha.shape
        size = (max(self.crop, round(w / f)), max(self.crop, round(h / f)))
        interp = cv2.INTER_AREA if f > 1 else cv2.INTER_LINEAR
        image, alpha, fg = (cv2.resize(a, size, interpolation=interp) for a in (image, alpha, fg))
        a3 = alpha[..., None]
        # The photo's own background where it shows; where the subject is opaque it is never seen (weight 1 − α ≈ 0).
        bg = np.where(a3 < 0.98, (image - a3 * fg) / np.maximum(1 - a3, 1e-3), image)
        if trimap_path is not None:
            trimap = imageio.load_gray(trimap_path)
            trimap = np.where(trimap > 0.75, 1.0, np.where(trimap < 0.25, 0.0, 0.5)).astype(np.float32)
            trimap = cv2.resize(trimap, size, interpolation=cv2.INTER_NEAREST)
        else:
            trimap = random_trimap(alpha, rng, high=max(4, self.crop // 16))
        out = {"image": _to_uint8(image), "alpha": _to_uint8(alpha), "fg": _to_uint8(fg), "bg": _to_uint8(bg),
               "trimap": trimap.astype(np.float16)}  # 0.5 exact
        if with_prior:
            out["prior"] = _prior_hwc(image, trimap).astype(np.float16)
        if trimap_path is not None:
            self._real_cache[key] = out
        return out

    def _photo(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The labelled photo and its true alpha, float32 in [0, 1] (uint8 in memory)."""
        if i not in self._photo_cache:
            _, image_path, alpha_path, _ = self.items[i]
            self._photo_cache[i] = (_to_uint8(imageio.load_image(image_path).rgb),
                                    _to_uint8(imageio.load_gray(alpha_path)))
        image, alpha = self._photo_cache[i]
        return image.astype(np.float32) / 255, alpha.astype(np.float32) / 255

    def _crop_origin(self, alpha: np.ndarray, rng: np.random.Generator, size: int) -> tuple[int, int]:
        """Top-left of a ``size × size`` crop inside ``alpha``'s image: when augmenting, centred near a random
        mixed pixel and jittered; otherwise centred."""
        h, w = alpha.shape
        unknown = np.argwhere((alpha > 0.02) & (alpha < 0.98))
        if len(unknown) and self.augment:
            cy, cx = unknown[int(rng.integers(0, len(unknown)))]
        else:
            cy, cx = h // 2, w // 2
        if self.augment:
            cy += int(rng.integers(-size // 4, size // 4 + 1))
            cx += int(rng.integers(-size // 4, size // 4 + 1))
        return int(np.clip(cy - size // 2, 0, h - size)), int(np.clip(cx - size // 2, 0, w - size))

    def item(self, index: int, prior_key: Optional[str] = None) -> dict:
        """:meth:`sample` as tensors ``(C, S, S)``."""
        return to_tensors(self.sample(index, prior_key))

    def __getitem__(self, index: int) -> dict:
        return to_tensors(self.sample(index))


def _prior_hwc(image: np.ndarray, trimap: np.ndarray) -> np.ndarray:
    """The matting prior of ``trimap`` as ``(H, W, 10)`` (see :func:`~matting_studio.engine.models.colour_prior.matting_prior`)."""
    from matting_studio.engine.models.colour_prior import matting_prior

    return np.ascontiguousarray(matting_prior(image, trimap).transpose(1, 2, 0))


def _with_unknown(sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    sample["unknown"] = (sample["trimap"] == UNKNOWN).astype(np.float32)
    sample["seg_unknown"] = (sample["seg_trimap"] == UNKNOWN).astype(np.float32)
    return sample


def seg_trimap_like_pipeline(soft_seg: np.ndarray, rng: np.random.Generator, high: Optional[int] = None,
                             image: Optional[np.ndarray] = None) -> np.ndarray:
    """The automatic pipeline's trimap (erode / dilate the soft mask) with random radii up to ``high``
    (default a 16th of the shorter side), errors included. With ``image`` ``(S, S, 3)``: the pipeline's adaptive
    band instead (``core.adaptive_band``, wide where the image has thin structure outside the mask), its narrowest
    half-width drawn from ``ADAPTIVE_BASE``."""
    from matting_studio.core.trimap import trimap_from_mask

    if image is not None:
        from matting_studio.core.adaptive_band import adaptive_trimap

        return adaptive_trimap(soft_seg, image, band=int(rng.integers(ADAPTIVE_BASE[0], ADAPTIVE_BASE[1] + 1)))
    high = high or max(3, min(soft_seg.shape) // 16)
    return trimap_from_mask(soft_seg, erode=int(rng.integers(2, high + 1)), dilate=int(rng.integers(2, high + 1)))


def to_tensors(sample: dict[str, np.ndarray]) -> dict:
    """numpy ``(S,S,C)``/``(S,S)`` → torch ``(C,S,S)`` float32."""
    import torch

    out = {}
    for key, arr in sample.items():
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        out[key] = torch.from_numpy(arr.transpose(2, 0, 1).copy() if arr.ndim == 3 else arr[None].copy())
    return out


def collate(samples: list[dict]) -> dict:
    import torch

    return {k: torch.stack([s[k] for s in samples]) for k in samples[0]}


def centre_prior(h: int, w: int) -> np.ndarray:
    """A soft centred ellipse — the segmentation prior when no segmenter is available."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((yy - h * 0.55) / (0.4 * h), (xx - w / 2) / (0.3 * w))
    return np.clip(1.5 - r, 0, 1).astype(np.float32)


class UnlabelledPhotos:
    """Random crops of real photos (no alpha) for SSRN, each with a new background crop.

    ``segment(image) -> (H,W)`` gives the soft segmentation (e.g. the person segmenter); without it a centred
    ellipse prior is used. Samples: ``image``, ``new_bg`` (3), ``soft_seg`` (1), ``motion`` (4), ``seg_trimap`` (1,
the automatic pipeline's trimap from ``soft_seg``).
    """

    def __init__(self, folder: Path, backgrounds: Sequence[Path] | Path, *, crop: int = 320, seed: int = 0,
                 segment=None) -> None:
        self.paths = imageio.list_images(folder)
        if not self.paths:
            raise DatasetError(f"No photos in '{folder}'.")
        self.backgrounds = CompositionDataset(None, backgrounds, crop=crop, synthetic_fraction=1.0, seed=seed)
        self.crop, self.seed, self.segment = crop, seed, segment
        self._cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return 100_000

    def _photo(self, i: int) -> np.ndarray:
        if i not in self._cache:
            rgb = imageio.load_image(self.paths[i]).rgb
            s = 2 * self.crop / min(rgb.shape[:2])  # keep the subject large in the crop
            rgb = cv2.resize(rgb, (max(self.crop, round(rgb.shape[1] * s)), max(self.crop, round(rgb.shape[0] * s))),
                             interpolation=cv2.INTER_AREA)
            self._cache[i] = _to_uint8(rgb)
        return self._cache[i].astype(np.float32) / 255

    def sample(self, index: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.seed, index, 7])
        photo = self._photo(int(rng.integers(0, len(self.paths))))
        h, w = photo.shape[:2]
        size = int(min(h, w) * rng.uniform(0.7, 1.0))
        y0, x0 = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        image = cv2.resize(photo[y0:y0 + size, x0:x0 + size], (self.crop, self.crop), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            image = np.ascontiguousarray(image[:, ::-1])
        seg = self.segment(image) if self.segment is not None else centre_prior(self.crop, self.crop)
        bg_ds = self.backgrounds
        new_bg = bg_ds._crop_background(bg_ds._background(int(rng.integers(0, len(bg_ds.backgrounds)))), rng)
        gray = grayscale(image)
        from matting_studio.core.trimap import trimap_from_mask

        return {"image": image, "new_bg": np.ascontiguousarray(new_bg), "soft_seg": seg,
                "motion": np.stack([gray] * 4, -1), "seg_trimap": trimap_from_mask(seg)}

    def __getitem__(self, index: int) -> dict:
        return to_tensors(self.sample(index))
