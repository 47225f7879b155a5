"""Learning-based matting (Zheng and Kambhamettu, 2009): ``estimate_alpha_lbdm(image, trimap)``:
local kernel ridge regression affinities."""

from __future__ import annotations

from typing import Optional

import numpy as np

from matting_studio.classical._solver import estimate_alpha
from matting_studio.core.progress import CancelToken, ProgressFn


def estimate_alpha_lbdm(image: np.ndarray, trimap: np.ndarray, *, fast: bool = False,
                       progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None) -> np.ndarray:
    """See :func:`matting_studio.classical._solver.estimate_alpha` (shapes, ``fast``, progress, cancel)."""
    return estimate_alpha("lbdm", image, trimap, fast=fast, progress=progress, cancel=cancel)
