"""A pool of precomputed training samples, shared by every run that trains on the same images.

A DLMN-G sample costs about a second of CPU, most of it the matting prior (closed-form and KNN solves), and
the network step a fraction of that. Cross-validation trains six times on overlapping image sets, so the samples
are made once, per labelled image (``STEM/NNNNN.npz``: composites of that image's foreground, and crops of the
photo itself) and for the procedural foregrounds (``_synthetic/``), and a run draws from the folders of its own
training images. Building is resumable (existing files are kept) and deterministic per ``(seed, stem, index)``.

Each file holds one sample with its guidance already chosen (the automatic pipeline's or a user's trimap, drawn
with ``guidance_mix``): ``image`` (S,S,3), ``alpha`` (S,S), ``fg``/``bg`` (S,S,3), ``soft_seg`` (S,S, the
guidance fed as segmentation), ``trimap`` (S,S, the guidance trimap), ``unknown`` (S,S, where the loss looks),
``motion`` (S,S,4) and ``prior`` (S,S,10, the matting prior of that trimap).
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from matting_studio.core.atomic import atomic_write_bytes
from matting_studio.core.errors import DatasetError
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report
from matting_studio.training.augment import AugmentConfig

SYNTHETIC = "_synthetic"
_U8 = ("fg", "bg", "motion", "unknown")  # stored as uint8; the rest as float16 (0.5 exact)


def _stem_seed(seed: int, stem: str) -> list[int]:
    return [seed, zlib.crc32(stem.encode())]


def pack(sample: dict[str, np.ndarray], mode: str) -> dict[str, np.ndarray]:
    """The sample as fed for guidance ``mode`` (``auto`` or ``trimap``), in storage types."""
    if mode == "auto":
        guided = {"soft_seg": sample["soft_seg"], "trimap": sample["seg_trimap"], "unknown": sample["seg_unknown"]}
    else:
        guided = {"soft_seg": sample["trimap"], "trimap": sample["trimap"], "unknown": sample["unknown"]}
    out = {k: sample[k] for k in ("image", "alpha", "fg", "bg", "motion", "prior")}
    out.update(guided)
    return {k: (np.clip(v, 0, 1) * 255 + 0.5).astype(np.uint8) if k in _U8 else v.astype(np.float16)
            for k, v in out.items()}


def unpack(stored: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.astype(np.float32) / 255 if v.dtype == np.uint8 else v.astype(np.float32) for k, v in stored.items()}


def build_pool(*args, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None, **kwargs) -> int:
    """:func:`iter_build_pool` run to the end; returns how many samples were made."""
    total = 0
    for done, total in iter_build_pool(*args, **kwargs):
        check_cancel(cancel)
        report(progress, done / max(total, 1), f"Sample {done} of {total}")
    return total


def iter_build_pool(data_dir: Optional[Path], backgrounds, pool_dir: Path, *, stems: Sequence[str], per_stem: int,
                    synthetic: int, crop: int, seed: int = 0, real_fraction: float = 0.0,
                    guidance_mix: Sequence[float] = (0.45, 0.55), augmentation: Optional[AugmentConfig] = None,
                    cache_dir: Optional[Path] = None):
    """Make the missing samples of ``stems`` (``per_stem`` each) and ``synthetic`` procedural ones, yielding
    ``(done, to_make)`` after each. ``guidance_mix`` weighs the automatic and the trimap guidance."""
    from matting_studio.training.datasets import CompositionDataset

    pool_dir = Path(pool_dir)
    jobs = [(stem, per_stem) for stem in stems] + ([(SYNTHETIC, synthetic)] if synthetic > 0 else [])
    todo = [(stem, j) for stem, n in jobs for j in range(n) if not (pool_dir / stem / f"{j:05d}.npz").is_file()]
    mix = np.asarray(guidance_mix[:2], np.float64)
    datasets: dict[str, CompositionDataset] = {}
    for done, (stem, j) in enumerate(todo):
        if stem not in datasets:
            datasets[stem] = CompositionDataset(
                None if stem == SYNTHETIC else data_dir, backgrounds, crop=crop,
                stems=None if stem == SYNTHETIC else [stem], synthetic_fraction=1.0 if stem == SYNTHETIC else 0.0,
                real_fraction=0.0 if stem == SYNTHETIC else real_fraction, seed=_stem_seed(seed, stem)[1] + seed,
                cache_dir=cache_dir, augmentation=augmentation)
        mode = str(np.random.default_rng([*_stem_seed(seed, stem), j, 5]).choice(("auto", "trimap"), p=mix / mix.sum()))
        sample = datasets[stem].sample(j, "seg_trimap" if mode == "auto" else "trimap")
        path = pool_dir / stem / f"{j:05d}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.savez(buffer, **pack(sample, mode))
        atomic_write_bytes(path, buffer.getvalue())
        yield done + 1, len(todo)


class PoolDataset:
    """Samples of a pool's ``stems`` and, a ``synthetic_fraction`` of the time, its procedural ones.
    ``item(index)`` is a pure function of ``(seed, index)``; half the samples are mirrored."""

    def __init__(self, pool_dir: Path, stems: Sequence[str], *, synthetic_fraction: float = 0.0, seed: int = 0) -> None:
        pool_dir = Path(pool_dir)
        self.labelled = sorted(p for stem in stems for p in (pool_dir / stem).glob("*.npz"))
        self.synthetic = sorted((pool_dir / SYNTHETIC).glob("*.npz")) if synthetic_fraction > 0 else []
        if not self.labelled and not self.synthetic:
            raise DatasetError(f"The sample pool '{pool_dir}' has no samples for {', '.join(stems) or 'these images'}.")
        self.synthetic_fraction = synthetic_fraction if self.labelled and self.synthetic else float(bool(self.synthetic))
        self.seed = seed

    def __len__(self) -> int:
        return len(self.labelled) + len(self.synthetic)

    def sample(self, index: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.seed, index, 11])
        files = self.synthetic if rng.random() < self.synthetic_fraction else self.labelled
        with np.load(files[int(rng.integers(0, len(files)))]) as stored:
            out = unpack(dict(stored))
        if np.random.default_rng([self.seed, index, 12]).random() < 0.5:
            out = {k: np.ascontiguousarray(v[:, ::-1]) for k, v in out.items()}
        return out

    def item(self, index: int, prior_key=None) -> dict:
        from matting_studio.training.datasets import to_tensors

        return to_tensors(self.sample(index))
