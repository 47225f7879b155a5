"""Classical matting methods (pymatting-based), one signature for all:

``fn(image (H,W,3) float [0,1], trimap (H,W) {0,0.5,1}, *, fast=False, progress=None, cancel=None)``
→ alpha ``(H, W)`` float32 in [0, 1]. No torch, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from matting_studio.classical.estimate_alpha_cf import estimate_alpha_cf
from matting_studio.classical.estimate_alpha_knn import estimate_alpha_knn
from matting_studio.classical.estimate_alpha_lbdm import estimate_alpha_lbdm
from matting_studio.classical.estimate_alpha_lkm import estimate_alpha_lkm
from matting_studio.classical.estimate_alpha_rw import estimate_alpha_rw
from matting_studio.classical.estimate_foreground import estimate_foreground
from matting_studio.core import registry
from matting_studio.core import trimap as trimap_ops
from matting_studio.core.errors import MethodError
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, sub_progress


@dataclass(frozen=True)
class MethodSpec:
    name: str
    label: str
    fn: Callable[..., np.ndarray]
    description: str


_FUNCTIONS = {"cf": estimate_alpha_cf, "knn": estimate_alpha_knn, "rw": estimate_alpha_rw, "lkm": estimate_alpha_lkm,
              "lbdm": estimate_alpha_lbdm}
METHODS: dict[str, MethodSpec] = {  # in the registry's order, with its labels
    c.name: MethodSpec(c.name, c.label, _FUNCTIONS[c.name], c.description) for c in registry.CLASSICAL_METHODS
}


def get_method(name: str) -> MethodSpec:
    """The spec of a classical method; :class:`MethodError` naming the valid ones otherwise."""
    try:
        return METHODS[name]
    except KeyError:
        raise MethodError(f"Unknown matting method '{name}'; choose one of {', '.join(METHODS)}.") from None


def run_method(
    name: str,
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    fast: bool = False,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> np.ndarray:
    """Run the classical method ``name``; see the module docstring for shapes.

    A trimap whose known pixels are all foreground or all background (a refine-edge crop beside the subject, a
    user's trimap without white) has a constant answer: every unknown pixel takes the one known value. It is
    what the Laplacian methods solve to, and Random Walk, which needs both, is not asked."""
    method = get_method(name)
    trimap = np.asarray(trimap)
    is_fg, is_bg = trimap >= trimap_ops.KNOWN_FOREGROUND_MIN, trimap <= trimap_ops.KNOWN_BACKGROUND_MAX
    if is_fg.any() != is_bg.any():  # one kind of known pixel only
        value = trimap_ops.FOREGROUND if is_fg.any() else trimap_ops.BACKGROUND
        return np.where(is_fg | is_bg, trimap, value).astype(np.float32)
    return method.fn(image, trimap, fast=fast, progress=progress, cancel=cancel)


def matte(
    name: str,
    image: np.ndarray,
    trimap: np.ndarray,
    *,
    fast: bool = False,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(alpha (H, W), foreground (H, W, 3))`` float32 in [0, 1]: :func:`run_method`, then
    :func:`estimate_foreground` (the last fifth of the progress)."""
    alpha = run_method(name, image, trimap, fast=fast, progress=sub_progress(progress, 0.0, 0.8), cancel=cancel)
    check_cancel(cancel)
    foreground = estimate_foreground(image, alpha, progress=sub_progress(progress, 0.8, 1.0), cancel=cancel)
    return alpha, foreground


__all__ = [
    "METHODS", "MethodSpec", "get_method", "run_method", "matte", "estimate_foreground",
    "estimate_alpha_cf", "estimate_alpha_knn", "estimate_alpha_rw", "estimate_alpha_lkm", "estimate_alpha_lbdm",
]
