"""Closed-form matting (Levin et al., 2008): ``estimate_alpha_cf(image, trimap)``:
the matting Laplacian of local colour-line models."""

from __future__ import annotations

from functools import partial
from typing import Optional

import numpy as np

from matting_studio.classical._solver import check_inputs, solve_alpha
from matting_studio.classical.fast_matting import fast_alpha
from matting_studio.core.progress import CancelToken, ProgressFn


def estimate_alpha_cf(
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    fast: bool = False,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> np.ndarray:
    """Alpha ``(H, W)`` float32 in [0, 1] for ``image (H, W, 3)`` in [0, 1] and a trimap {0, 0.5, 1}.

    ``fast`` solves only around the unknown band, downscaled when large (see :mod:`fast_matting`).
    Raises ``Cancelled`` promptly when ``cancel`` is set; ``progress(fraction, message)`` follows the solver.
    """
    image, trimap = check_inputs(image, trimap)
    solve = partial(solve_alpha, "cf")
    if fast:
        return fast_alpha(solve, image, trimap, progress=progress, cancel=cancel)
    return solve(image, trimap, progress=progress, cancel=cancel)
