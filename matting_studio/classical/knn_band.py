"""KNN matting restricted to the unknown band: ``knn_band_alpha(image, trimap, init=None)``.

KNN matting (Chen et al., 2013) links each pixel to its K nearest neighbours in colour–position space and
solves the graph's harmonic problem. Plain KNN builds the graph over every pixel (34–47 s at 1080p); here only
the unknown pixels query neighbours, among the unknown pixels, the known pixels within ``RING`` px of them and a
random sample of the other known pixels (which keeps the "non-local" part: a far pixel of the same colour). Known
pixels are imposed exactly, so the system is ``(D − W)_UU α_U = W_UK α_K`` (symmetric positive definite),
solved by Jacobi-preconditioned conjugate gradients from ``init`` (e.g. a coarse closed-form alpha).

Feature scaling and neighbour counts are pymatting's (``knn_laplacian``: 20 neighbours with position weight 2,
10 with weight 0.1, coordinates in [0, 1]).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import cv2
import numpy as np

from matting_studio.core.trimap import UNKNOWN

NEIGHBOURS = ((10, 2.0), (5, 0.1))  # (k, weight of the position in the feature), as pymatting's knn_laplacian
RING = 24  # px of known pixels around the unknown region that are candidate neighbours
FAR_SAMPLE = 20_000  # other known pixels, sampled at random, that are candidates too
MAXITER = 100
RTOL = 1e-3
MAX_UNKNOWN = 400_000  # more unknown pixels than this: solved at reduced scale, brought back edge-aware
QUERY_WORKERS = -1  # the neighbour queries on every core: they release the GIL and do not spin (the same result)


def knn_band_alpha(image: np.ndarray, trimap: np.ndarray, init: Optional[np.ndarray] = None, *,
                   seed: int = 0, max_unknown: int = MAX_UNKNOWN) -> np.ndarray:
    """Alpha ``(H, W)`` float32 in [0, 1]; known trimap pixels exact.

    image ``(H, W, 3)`` float in [0, 1]; trimap ``(H, W)`` with {0, 0.5, 1}; init ``(H, W)`` in [0, 1], the
    starting guess for the unknown pixels (0.5 when None). With more than ``max_unknown`` unknown pixels the
    graph is built on a downscaled copy and the result guided-upsampled. Deterministic for a given ``seed``.
    """
    image = np.asarray(image, np.float32)[..., :3]
    trimap = np.asarray(trimap, np.float32)
    n_unknown = int((trimap == UNKNOWN).sum())
    if n_unknown > max_unknown:
        from matting_studio.classical.fast_matting import downscale_trimap
        from matting_studio.core.guided_filter import guided_upsample

        h, w = trimap.shape
        s = math.sqrt(max_unknown / n_unknown)
        size = (max(3, round(w * s)), max(3, round(h * s)))
        small_tri = downscale_trimap(trimap, size).astype(np.float32)
        small_init = None if init is None else cv2.resize(np.asarray(init, np.float32), size, interpolation=cv2.INTER_AREA)
        low = _solve(cv2.resize(image, size, interpolation=cv2.INTER_AREA), small_tri, small_init, seed)
        alpha = guided_upsample(low, image, radius=max(2, round(1.5 / s)), eps=1e-5)
        return np.clip(np.where(trimap == UNKNOWN, alpha, trimap), 0, 1).astype(np.float32)
    return _solve(image, trimap, init, seed)


def _solve(image: np.ndarray, trimap: np.ndarray, init: Optional[np.ndarray], seed: int) -> np.ndarray:
    """:func:`knn_band_alpha` at the given scale."""
    from scipy.spatial import cKDTree

    from matting_studio.classical._solver import cg

    h, w = trimap.shape
    out = np.where(trimap == UNKNOWN, 0.5 if init is None else init, trimap).astype(np.float32)
    unknown = trimap == UNKNOWN
    if not unknown.any() or unknown.all():
        return np.clip(out, 0, 1)
    ring = cv2.dilate(unknown.astype(np.uint8), np.ones((2 * RING + 1, 2 * RING + 1), np.uint8)).astype(bool)
    near = ring & ~unknown
    far = np.flatnonzero(~ring & ~unknown)
    if far.size > FAR_SAMPLE:
        far = np.random.default_rng(seed).choice(far, FAR_SAMPLE, replace=False)
    u_idx = np.flatnonzero(unknown)
    cand = np.concatenate([u_idx, np.flatnonzero(near), np.sort(far)])  # unknown pixels first
    nu = u_idx.size
    ys, xs = np.divmod(cand, w)
    rgb = image.reshape(-1, 3)[cand]
    xn = (xs / max(w - 1, 1)).astype(np.float32)
    yn = (ys / max(h - 1, 1)).astype(np.float32)
    feats = [np.column_stack([rgb, weight * xn, weight * yn]).astype(np.float32) for _, weight in NEIGHBOURS]
    with ThreadPoolExecutor(len(feats)) as pool:  # the trees are built side by side (the build releases the GIL)
        trees = list(pool.map(cKDTree, feats))
    links = []
    for (k, _), tree, f in zip(NEIGHBOURS, trees, feats):
        k_eff = min(k + 1, cand.size)
        _, nb = tree.query(f[:nu], k=k_eff, workers=QUERY_WORKERS)
        links.append(nb[:, 1:] if k_eff > 1 else nb.reshape(nu, 1))  # drop the pixel itself
    # every unknown pixel links to at least one candidate, so every degree is at least 1
    matvec, rhs, degree = _system(links, nu, trimap.reshape(-1)[cand[nu:]])
    inv_diag = 1.0 / degree
    x0 = out.reshape(-1)[u_idx].astype(np.float64)
    x = cg(lambda v: degree * v - matvec(v), rhs, x0=x0, rtol=RTOL, maxiter=MAXITER, M=lambda v: inv_diag * v)
    flat = out.reshape(-1)
    flat[u_idx] = np.clip(x, 0, 1)
    return flat.reshape(h, w)


def _system(links: list[np.ndarray], nu: int, alpha_known: np.ndarray):
    """The reduced KNN system ``(D − W_UU) α_U = W_UK α_K`` from each neighbour set's links ``(nu, k)`` (unknown
    pixel → candidate; candidates below ``nu`` are the unknown pixels, the rest known with alpha ``alpha_known``),
    each of weight 1; a link found twice counts twice.

    Returns ``(matvec, rhs, degree)``: ``matvec(x) = W_UU x`` with ``W_UU = A_UU + A_UUᵀ`` (links among unknown pixels
    count both ways), ``rhs = W_UK α_K`` and ``degree`` ``(nu,)``, the links of each pixel both ways and to known
    pixels (the system's diagonal). Each ``A_UU`` is a CSR matrix made from the links as they are, with the links
    to known pixels as explicit zeros: no sorting or conversion."""
    from scipy.sparse import csr_matrix

    parts, degree, rhs = [], np.zeros(nu), np.zeros(nu)
    for nb in links:
        k = nb.shape[1]
        inner = nb < nu
        parts.append(csr_matrix((inner.ravel().astype(np.float64), np.where(inner, nb, 0).ravel(),
                                 np.arange(0, nu * k + 1, k)), shape=(nu, nu)))
        degree += k + np.bincount(nb[inner], minlength=nu)  # out-links, then in-links from unknown pixels
        rhs += np.where(inner, 0.0, alpha_known[np.where(inner, 0, nb - nu)]).sum(axis=1)

    def matvec(x: np.ndarray) -> np.ndarray:
        y = np.zeros_like(x)
        for a in parts:
            y += a @ x
            y += a.T @ x
        return y

    return matvec, rhs, degree
