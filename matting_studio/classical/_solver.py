"""The shared solver: build a method's Laplacian, solve for the unknown pixels with preconditioned conjugate
gradients, report progress from the residual and stop promptly on cancellation.

Known pixels are imposed exactly (the system is reduced to the unknown pixels: ``L_UU x = −L_UK a_K``), except
for the large-kernel method, whose Laplacian exists only as a matrix-vector product (there they are imposed
with pymatting's λ = 100 and pasted back exactly afterwards).

Closed-form solves run without pymatting (``classical.cf_laplacian``, Jacobi-preconditioned) until pymatting has
been imported, which compiles for a minute on a fresh install (``classical.pymatting_warmup``); then with its
Laplacian and incomplete Cholesky. Both give the same alpha to the solver's tolerance.
"""

from __future__ import annotations

import contextlib
import io
import math
from functools import partial
from typing import Optional

import numpy as np

from matting_studio.classical import pymatting_warmup
from matting_studio.classical.cf_laplacian import cf_laplacian as cf_laplacian_np, jacobi as jacobi_np
from matting_studio.core.errors import MethodError
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report
from matting_studio.core.trimap import UNKNOWN, validate_trimap

RTOL = 1e-7
MAXITER = 10000


def check_inputs(image: np.ndarray, trimap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert: image ``(H, W, 3)`` float64 in [0, 1], trimap ``(H, W)`` float64 {0, 0.5, 1}."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] < 3 or image.shape[0] < 3 or image.shape[1] < 3:
        raise MethodError(f"Matting needs an RGB image of at least 3x3 pixels, got shape {image.shape}.")
    image = np.clip(image[..., :3].astype(np.float64), 0.0, 1.0)
    trimap = validate_trimap(trimap, image.shape).astype(np.float64)
    return image, trimap


def _residual_progress(progress: Optional[ProgressFn], cancel: Optional[CancelToken], start: float, rtol: float):
    """A CG callback: fraction from log residual reduction (monotone) mapped onto [start, 1]."""
    state = {"r0": None, "best": 0.0, "n": 0}

    def callback(A, x, b, norm_b, r, norm_r):
        check_cancel(cancel)
        state["n"] += 1
        if progress is None:
            return
        if state["r0"] is None:
            state["r0"] = max(norm_r, 1e-300)
        target = max(rtol * norm_b, 1e-300)
        span = math.log(state["r0"] / target) if state["r0"] > target else 1.0
        frac = math.log(state["r0"] / max(norm_r, 1e-300)) / span if span > 0 else 1.0
        state["best"] = max(state["best"], min(1.0, max(0.0, frac)))
        if state["n"] % 5 == 0 or state["best"] >= 1.0:
            report(progress, start + (1.0 - start) * state["best"], "Solving")

    return callback


def _laplacian(method: str, image: np.ndarray, is_known: np.ndarray):
    if method == "cf" and not pymatting_warmup.ready():
        pymatting_warmup.warm_up()
        return cf_laplacian_np(image, epsilon=1e-7, is_known=is_known.reshape(image.shape[:2]))
    from pymatting import cf_laplacian, knn_laplacian, lbdm_laplacian, rw_laplacian

    pymatting_warmup.load()
    if method == "cf":
        return cf_laplacian(image, epsilon=1e-7, radius=1, is_known=is_known.reshape(image.shape[:2]))
    if method == "knn":
        return knn_laplacian(image)
    if method == "rw":
        return rw_laplacian(image)
    if method == "lbdm":
        return lbdm_laplacian(image)
    raise MethodError(f"No sparse Laplacian for method '{method}'.")


def solve_alpha(
    method: str,
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    x0: Optional[np.ndarray] = None,
    maxiter: int = MAXITER,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> np.ndarray:
    """Alpha ``(H, W)`` float32 in [0, 1] by ``method`` (cf, knn, rw, lkm, lbdm) on validated inputs.

    ``x0`` is an optional initial alpha ``(H, W)`` (warm start).
    """
    h, w = trimap.shape
    flat = trimap.ravel()
    is_fg, is_known = flat == 1.0, flat != UNKNOWN
    is_unknown = ~is_known
    check_cancel(cancel)
    if method != "cf":  # closed-form does without pymatting until it is ready
        pymatting_warmup.wait_for_warm_up(cancel)  # a fresh install: one compile per environment, not one per solve
    report(progress, 0.0, "Building the matting Laplacian")
    callback = _residual_progress(progress, cancel, 0.3, RTOL)
    if method == "lkm":
        from pymatting import lkm_laplacian

        # pymatting's box filters need both sides >= 4 r + 1: shrink the window on small images / crops
        radius = min(10, (min(h, w) - 1) // 4)
        if radius < 1:
            raise MethodError(f"Large-kernel matting needs an image of at least 5x5 pixels, got {w}x{h}.")
        L_matvec, diag = lkm_laplacian(image, epsilon=1e-7, radius=radius)
        c = 100.0 * is_known
        inv_diag = 1.0 / (diag + c)
        check_cancel(cancel)
        report(progress, 0.3, "Solving")
        x = cg(lambda v: L_matvec(v) + c * v, 100.0 * is_fg, x0=None if x0 is None else x0.ravel().astype(np.float64),
               M=lambda v: inv_diag * v, rtol=RTOL, maxiter=maxiter, callback=callback)
    elif method == "rw":
        # Random-walk affinities can all but disconnect pixels (exp(-900 d^2)); the reduced system is then
        # ill-conditioned, so keep pymatting's soft constraints (lambda = 100), which its regulariser stabilises.
        from pymatting import make_linear_system

        from pymatting import jacobi

        A, b = make_linear_system(_laplacian(method, image, is_known), trimap)
        check_cancel(cancel)
        report(progress, 0.3, "Solving")
        x = cg(A, b, x0=None if x0 is None else x0.ravel().astype(np.float64), M=jacobi(A), rtol=RTOL,
               maxiter=maxiter, callback=callback)
    else:
        L = _laplacian(method, image, is_known).tocsr()
        check_cancel(cancel)
        L_U = L[is_unknown][:, is_unknown].tocsr()
        rhs = -(L[is_unknown][:, is_known] @ is_fg[is_known].astype(np.float64))
        report(progress, 0.2, "Preconditioning")
        M = jacobi_np(L_U) if method == "knn" or not pymatting_warmup.ready() else _ichol_or_jacobi(L_U)
        check_cancel(cancel)
        report(progress, 0.3, "Solving")
        start = None if x0 is None else x0.ravel()[is_unknown].astype(np.float64)
        x_u = cg(L_U, rhs, x0=start, M=M, rtol=RTOL, maxiter=maxiter, callback=callback)
        x = flat.copy()
        x[is_unknown] = x_u
    check_cancel(cancel)
    x = np.clip(x, 0.0, 1.0)
    x[is_known] = flat[is_known]  # known pixels exactly
    report(progress, 1.0, "Done")
    return x.reshape(h, w).astype(np.float32)


def _ichol_or_jacobi(A):
    """Incomplete Cholesky preconditioner; pymatting retries with diagonal shifts (its retry notices on stdout
    are silenced) and Jacobi is used when no shift helps (or too many non-zeros would be created)."""
    from pymatting import ichol, jacobi

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return ichol(A.tocsc())
    except ValueError:
        return jacobi(A)


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    """Inner product without BLAS: multithreaded BLAS dot products stall badly on a loaded CPU (measured
    12 ms vs 0.015 ms for 51k elements with other processes busy), and CG does three per iteration."""
    return float(np.einsum("i,i->", u, v))


def cg(A, b, *, x0=None, M=None, rtol=RTOL, maxiter=MAXITER, callback=None) -> np.ndarray:
    """Preconditioned conjugate gradients for a symmetric positive definite ``A`` (matrix or matvec).

    Unlike pymatting's, it returns the best iterate when ``maxiter`` is reached instead of raising (a matte
    that is nearly converged is still useful); ``callback(A, x, b, norm_b, r, norm_r)`` runs every iteration
    and may raise (cancellation).
    """
    matvec = A if callable(A) else A.dot
    precondition = (lambda v: v) if M is None else (M if callable(M) else M.dot)
    x = np.zeros_like(b) if x0 is None else np.array(x0, dtype=np.float64)
    r = b - matvec(x)
    norm_b = math.sqrt(_dot(b, b))
    norm_r = math.sqrt(_dot(r, r))
    if norm_b == 0.0 or norm_r <= rtol * norm_b:
        return x
    z = precondition(r)
    p = z.copy()
    rz = _dot(r, z)
    for _ in range(maxiter):
        Ap = matvec(p)
        step = rz / _dot(p, Ap)
        x += step * p
        r -= step * Ap
        norm_r = math.sqrt(_dot(r, r))
        if callback is not None:
            callback(A, x, b, norm_b, r, norm_r)
        if norm_r <= rtol * norm_b:
            break
        z = precondition(r)
        rz_new = _dot(r, z)
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x


def estimate_alpha(
    method: str,
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    fast: bool = False,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> np.ndarray:
    """Alpha ``(H, W)`` float32 in [0, 1] by ``method`` for ``image (H, W, 3)`` in [0, 1] and a trimap
    {0, 0.5, 1}. ``fast`` solves only around the unknown band, downscaled when large (``fast_matting``).
    Raises ``Cancelled`` promptly when ``cancel`` is set; ``progress(fraction, message)`` follows the solver."""
    from matting_studio.classical.fast_matting import fast_alpha

    image, trimap = check_inputs(image, trimap)
    solve = partial(solve_alpha, method)
    if fast:
        return fast_alpha(solve, image, trimap, progress=progress, cancel=cancel)
    return solve(image, trimap, progress=progress, cancel=cancel)
