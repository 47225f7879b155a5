"""Foreground colour estimation: ``estimate_foreground(image, alpha)`` (multi-level, Germer et al., 2020)."""

from __future__ import annotations

from typing import Optional

import numpy as np

from matting_studio.core.errors import MethodError
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report


def estimate_foreground(
    image: np.ndarray,
    alpha: np.ndarray,
    *,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> np.ndarray:
    """Foreground colours ``(H, W, 3)`` float32 in [0, 1] such that ``image ≈ α·F + (1 − α)·B``.

    Where α = 0 the colour is extrapolated from nearby foreground (so decontaminated edges look right).
    """
    from matting_studio.classical import pymatting_warmup

    pymatting_warmup.wait_for_warm_up(cancel)  # a fresh install: load the warm-up's cache instead of compiling too
    from pymatting import estimate_foreground_ml

    image = np.asarray(image)
    alpha = np.asarray(alpha)
    if image.ndim != 3 or image.shape[2] < 3 or alpha.shape != image.shape[:2]:
        raise MethodError(f"Foreground estimation needs an (H, W, 3) image and an (H, W) alpha; got "
                          f"{image.shape} and {alpha.shape}.")
    check_cancel(cancel)
    report(progress, 0.0, "Estimating foreground colours")
    fg = estimate_foreground_ml(np.clip(image[..., :3], 0, 1).astype(np.float64),
                                np.clip(alpha, 0, 1).astype(np.float64))
    check_cancel(cancel)
    report(progress, 1.0, "Done")
    return np.clip(fg, 0.0, 1.0).astype(np.float32)
