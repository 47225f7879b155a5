"""Fast mode for large images: solve only around the unknown band, at reduced scale when it is still large,
and bring the result back to full resolution edge-aware (guided filter), known pixels exact."""

from __future__ import annotations

import math
from typing import Callable, Optional

import cv2
import numpy as np

from matting_studio.core.guided_filter import guided_upsample
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report, sub_progress
from matting_studio.core.trimap import UNKNOWN

# Pixels of the crop solved at full resolution; larger crops are downscaled. Measured on the 20 alphamatting
# dev images (benchmarks/classical_fast.py): 250k gives x2.1-2.7 over the plain solve for +0.0..0.6 mean SAD;
# 100k is ~3x faster again but loses up to 4 SAD on knn/rw. Warm-started full-resolution CG refinement after
# upsampling was measured too and not kept: it costs about as much as the full crop solve (Laplacian and
# preconditioner dominate) for cf/knn and gave mixed, small gains for rw.
MAX_SOLVE_PIXELS = 250_000


def unknown_crop(trimap: np.ndarray, margin: Optional[int] = None) -> tuple[slice, slice]:
    """Bounding box of the unknown pixels plus a margin (so windows see known pixels on both sides)."""
    h, w = trimap.shape
    ys, xs = np.nonzero(trimap == UNKNOWN)
    if margin is None:
        margin = max(8, int(0.02 * max(h, w)))
    return (slice(max(0, ys.min() - margin), min(h, ys.max() + margin + 1)),
            slice(max(0, xs.min() - margin), min(w, xs.max() + margin + 1)))


def downscale_trimap(trimap: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Conservative downscale: a pixel stays known only if everything it covers is known and equal."""
    fg = cv2.resize((trimap == 1.0).astype(np.float32), size, interpolation=cv2.INTER_AREA)
    bg = cv2.resize((trimap == 0.0).astype(np.float32), size, interpolation=cv2.INTER_AREA)
    out = np.full(fg.shape, 0.5, np.float64)
    out[fg >= 0.999] = 1.0
    out[bg >= 0.999] = 0.0
    return out


def fast_alpha(
    solve: Callable[..., np.ndarray],
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    max_pixels: int = MAX_SOLVE_PIXELS,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> np.ndarray:
    """Alpha ``(H, W)`` with ``solve(image, trimap, progress=, cancel=)`` run on a crop / at reduced scale."""
    alpha = (trimap == 1.0).astype(np.float32)
    rows, cols = unknown_crop(trimap)
    img_c, tri_c = image[rows, cols], trimap[rows, cols]
    n = img_c.shape[0] * img_c.shape[1]
    if n <= max_pixels:
        alpha_c = solve(img_c, tri_c, progress=progress, cancel=cancel)
    else:
        s = math.sqrt(max_pixels / n)
        size = (max(3, round(img_c.shape[1] * s)), max(3, round(img_c.shape[0] * s)))
        small_img = np.clip(cv2.resize(img_c, size, interpolation=cv2.INTER_AREA), 0, 1)
        small_tri = downscale_trimap(tri_c, size)
        if not (small_tri == UNKNOWN).any() or (small_tri == UNKNOWN).all():
            alpha_c = solve(img_c, tri_c, progress=progress, cancel=cancel)
        else:
            low = solve(small_img, small_tri, progress=sub_progress(progress, 0.0, 0.95), cancel=cancel)
            check_cancel(cancel)
            report(progress, 0.95, "Upsampling")
            alpha_c = guided_upsample(low, img_c.astype(np.float32), radius=max(2, round(1.5 / s)), eps=1e-5)
            known = tri_c != UNKNOWN
            alpha_c[known] = tri_c[known]
            report(progress, 1.0, "Done")
    alpha[rows, cols] = alpha_c
    return np.clip(alpha, 0.0, 1.0).astype(np.float32)
