"""Fast guided filter (He et al., 2010) with box filters — edge-aware smoothing and upsampling.

Used to bring low-resolution masks and mattes to full resolution so that they follow the image's edges.
"""

from __future__ import annotations

import cv2
import numpy as np


def _box(x: np.ndarray, radius: int) -> np.ndarray:
    k = 2 * radius + 1
    return cv2.boxFilter(x, -1, (k, k), borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float = 1e-4) -> np.ndarray:
    """Colour guided filter: ``guide (H, W, 3)`` float in [0, 1], ``src (H, W)`` → filtered ``(H, W)`` float32.

    Statistics are computed in float64: in float32, ``E[x²] − E[x]²`` of a flat patch can come out negative and
    make the 3×3 covariance singular (NaN coefficients). Where it is still singular the patch's mean is used.
    """
    guide = np.asarray(guide, dtype=np.float64)
    src = np.asarray(src, dtype=np.float64)
    radius = max(1, int(radius))
    mean_i = _box(guide, radius)
    mean_p = _box(src, radius)
    mean_ip = _box(guide * src[..., None], radius)
    cov_ip = mean_ip - mean_i * mean_p[..., None]
    # per-pixel 3x3 covariance of the guide
    rr = np.maximum(_box(guide[..., 0] * guide[..., 0], radius) - mean_i[..., 0] ** 2, 0) + eps
    rg = _box(guide[..., 0] * guide[..., 1], radius) - mean_i[..., 0] * mean_i[..., 1]
    rb = _box(guide[..., 0] * guide[..., 2], radius) - mean_i[..., 0] * mean_i[..., 2]
    gg = np.maximum(_box(guide[..., 1] * guide[..., 1], radius) - mean_i[..., 1] ** 2, 0) + eps
    gb = _box(guide[..., 1] * guide[..., 2], radius) - mean_i[..., 1] * mean_i[..., 2]
    bb = np.maximum(_box(guide[..., 2] * guide[..., 2], radius) - mean_i[..., 2] ** 2, 0) + eps
    # inverse of the symmetric 3x3 matrix by cofactors
    inv_rr = gg * bb - gb * gb
    inv_rg = gb * rb - rg * bb
    inv_rb = rg * gb - gg * rb
    inv_gg = rr * bb - rb * rb
    inv_gb = rb * rg - rr * gb
    inv_bb = rr * gg - rg * rg
    det = rr * inv_rr + rg * inv_rg + rb * inv_rb
    det = np.where(det > eps ** 3 * 1e-3, det, np.inf)  # singular: a = 0, b = the patch's mean
    c0, c1, c2 = cov_ip[..., 0], cov_ip[..., 1], cov_ip[..., 2]
    a0 = (inv_rr * c0 + inv_rg * c1 + inv_rb * c2) / det
    a1 = (inv_rg * c0 + inv_gg * c1 + inv_gb * c2) / det
    a2 = (inv_rb * c0 + inv_gb * c1 + inv_bb * c2) / det
    b = mean_p - a0 * mean_i[..., 0] - a1 * mean_i[..., 1] - a2 * mean_i[..., 2]
    out = (
        _box(a0, radius) * guide[..., 0]
        + _box(a1, radius) * guide[..., 1]
        + _box(a2, radius) * guide[..., 2]
        + _box(b, radius)
    )
    return out.astype(np.float32)


def guided_upsample(low: np.ndarray, guide: np.ndarray, *, radius: int | None = None, eps: float = 1e-4) -> np.ndarray:
    """Upsample ``low (h, w)`` in [0, 1] to the guide's size ``(H, W)``, edge-aware; result clipped to [0, 1].

    The mask is resized bilinearly, then guided-filtered by the full-resolution image (the filter is computed
    at up to 4x the mask's resolution and its linear coefficients upsampled — the "fast guided filter").
    """
    guide = np.asarray(guide, dtype=np.float32)[..., :3]
    h, w = guide.shape[:2]
    low = np.asarray(low, dtype=np.float32)
    scale = max(h / low.shape[0], w / low.shape[1])
    if radius is None:
        radius = max(4, 2 * int(np.ceil(scale)))
    up = cv2.resize(low, (w, h), interpolation=cv2.INTER_LINEAR)
    # compute at a reduced size for speed when the target is large
    sub = 4 if radius >= 8 else 2 if radius >= 4 else 1  # powers of two keep the grids aligned
    if sub > 1:
        gs = cv2.resize(guide, (max(1, w // sub), max(1, h // sub)), interpolation=cv2.INTER_AREA)
        ps = cv2.resize(up, (gs.shape[1], gs.shape[0]), interpolation=cv2.INTER_AREA)
        out = _fast_guided(gs, ps, guide, max(1, radius // sub), eps)
    else:
        out = guided_filter(guide, up, radius, eps)
    return np.clip(out, 0.0, 1.0)


def _fast_guided(guide_small, src_small, guide_full, radius, eps):
    """Guided filter coefficients from a small guide, applied to the full-resolution guide."""
    h, w = guide_full.shape[:2]
    guide_small = np.asarray(guide_small, np.float64)  # float64 statistics: see guided_filter
    src_small = np.asarray(src_small, np.float64)
    mean_i = _box(guide_small, radius)
    mean_p = _box(src_small, radius)
    cov_ip = _box(guide_small * src_small[..., None], radius) - mean_i * mean_p[..., None]
    var = np.empty(guide_small.shape[:2] + (3, 3), np.float64)
    for i in range(3):
        for j in range(i, 3):
            v = _box(guide_small[..., i] * guide_small[..., j], radius) - mean_i[..., i] * mean_i[..., j]
            var[..., i, j] = np.maximum(v, 0) if i == j else v
            var[..., j, i] = var[..., i, j]
    var += eps * np.eye(3)
    det = np.linalg.det(var)
    var[det <= eps ** 3 * 1e-3] = np.eye(3)  # singular: a = 0 there (set below), b = the patch's mean
    a = np.linalg.solve(var, cov_ip[..., None])[..., 0]
    a[det <= eps ** 3 * 1e-3] = 0
    b = mean_p - np.einsum("hwc,hwc->hw", a, mean_i)
    a = _box(a.astype(np.float32), radius)
    b = _box(b.astype(np.float32), radius)
    a_up = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)
    b_up = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    return (np.einsum("hwc,hwc->hw", a_up, guide_full) + b_up).astype(np.float32)
