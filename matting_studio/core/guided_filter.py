"""Fast guided filter (He et al., 2010) with box filters — edge-aware smoothing and upsampling.

Used to bring low-resolution masks and mattes to full resolution so that they follow the image's edges.
"""

from __future__ import annotations

import cv2
import numpy as np


def _box(x: np.ndarray, radius: int) -> np.ndarray:
    k = 2 * radius + 1
    return cv2.boxFilter(x, -1, (k, k), borderType=cv2.BORDER_REFLECT)


def _coefficients(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The filter's per-window linear model ``src ≈ a · guide + b``: ``a (H, W, 3)``, ``b (H, W)`` float64.

    Statistics are computed in float64: in float32, ``E[x²] − E[x]²`` of a flat patch can come out negative and
    make the 3×3 covariance singular (NaN coefficients). Where it is still singular ``a = 0`` and ``b`` is the
    patch's mean. The 3×3 systems are solved by cofactors (several times faster than ``np.linalg.solve``).
    """
    guide = np.asarray(guide, dtype=np.float64)
    src = np.asarray(src, dtype=np.float64)
    mean_i = _box(guide, radius)
    mean_p = _box(src, radius)
    cov_ip = _box(guide * src[..., None], radius) - mean_i * mean_p[..., None]
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
    a = np.stack([(inv_rr * c0 + inv_rg * c1 + inv_rb * c2) / det,
                  (inv_rg * c0 + inv_gg * c1 + inv_gb * c2) / det,
                  (inv_rb * c0 + inv_gb * c1 + inv_bb * c2) / det], axis=-1)
    b = mean_p - np.einsum("hwc,hwc->hw", a, mean_i)
    return a, b


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float = 1e-4) -> np.ndarray:
    """Colour guided filter: ``guide (H, W, 3)`` float in [0, 1], ``src (H, W)`` → filtered ``(H, W)`` float32."""
    guide = np.asarray(guide, dtype=np.float64)
    radius = max(1, int(radius))
    a, b = _coefficients(guide, src, radius, eps)
    return (np.einsum("hwc,hwc->hw", _box(a, radius), guide) + _box(b, radius)).astype(np.float32)


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
    a, b = _coefficients(guide_small, src_small, radius, eps)
    a = _box(a.astype(np.float32), radius)
    b = _box(b.astype(np.float32), radius)
    a_up = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)
    b_up = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    return (np.einsum("hwc,hwc->hw", a_up, guide_full) + b_up).astype(np.float32)
