"""Closed-form matting (Levin et al., 2008): ``estimate_alpha_cf(image, trimap)``:
the matting Laplacian of local colour-line models."""

from __future__ import annotations

from typing import Optional

import numpy as np

from matting_studio.classical._solver import estimate_alpha
from matting_studio.core.progress import CancelToken, ProgressFn


def estimate_alpha_cf(image: np.ndarray, trimap: np.ndarray, *, fast: bool = False,
                       progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> np.ndarray:
    """See :func:`matting_studio.classical._solver.estimate_alpha` (shapes, ``fast``, progress, cancel)."""
    return estimate_alpha("cf", image, trimap, fast=fast, progress=progress, cancel=cancel)
