"""The closed-form matting Laplacian (Levin et al. 2008) in NumPy, equal to pymatting's ``cf_laplacian`` with
3×3 windows to rounding, and a Jacobi preconditioner: closed-form matting without numba.

pymatting compiles every one of its numba kernels when it is first imported (about 80 s on a 2-core CPU on a
fresh install, then cached on disk). Until that is done, the closed-form solves (the method ``cf`` and DLMN-G's
coarse closed-form cue) run here, so that a fresh install's first result does not wait for the compiler; see
:mod:`matting_studio.classical.pymatting_warmup`.
"""

from __future__ import annotations

import numpy as np

_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def cf_laplacian(image: np.ndarray, epsilon: float = 1e-7, is_known=None):
    """``L`` (``scipy.sparse.csr_matrix``, ``(H·W, H·W)``) for ``image (H, W, 3)`` in [0, 1]. Windows whose nine
    pixels are all known (``is_known`` ``(H, W)`` bool) are skipped, as pymatting does."""
    import scipy.sparse

    img = np.asarray(image, dtype=np.float64)
    h, w = img.shape[:2]
    ys, xs = np.mgrid[1:h - 1, 1:w - 1]
    centre = (ys * w + xs).ravel()
    steps = np.array([dy * w + dx for dy, dx in _OFFSETS])
    if is_known is not None:
        known = np.asarray(is_known, bool).ravel()
        centre = centre[~np.all(known[centre[:, None] + steps[None]], axis=1)]
    pixels = centre[:, None] + steps[None]  # (N, 9): the window's pixel indices
    colours = img.reshape(-1, 3)[pixels]  # (N, 9, 3)
    c = colours - colours.mean(axis=1, keepdims=True)
    cov = (np.matmul(c.transpose(0, 2, 1), c) + epsilon * np.eye(3)) / 9.0
    values = -(1.0 + np.matmul(np.matmul(c, np.linalg.inv(cov)), c.transpose(0, 2, 1))) / 9.0
    values[:, np.arange(9), np.arange(9)] += 1.0
    rows = np.repeat(pixels, 9, axis=1).ravel()
    cols = np.tile(pixels, (1, 9)).ravel()
    return scipy.sparse.csr_matrix((values.ravel(), (rows, cols)), shape=(h * w, h * w))


def jacobi(A):
    """The Jacobi preconditioner of a sparse ``A``: ``v ↦ v / diag(A)``."""
    inverse = 1.0 / A.diagonal()
    return lambda v: inverse * v
