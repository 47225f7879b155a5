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
from matting_studio.core.errors import MethodError
from matting_studio.core.progress import CancelToken, ProgressFn


@dataclass(frozen=True)
class MethodSpec:
    name: str
    label: str
    fn: Callable[..., np.ndarray]
    description: str


METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec("cf", "Closed-form", estimate_alpha_cf, "Levin et al. 2008, matting Laplacian"),
        MethodSpec("knn", "KNN", estimate_alpha_knn, "Chen et al. 2013, non-local K nearest neighbours"),
        MethodSpec("rw", "Random Walk", estimate_alpha_rw, "Grady et al. 2005, random-walk affinities"),
        MethodSpec("lkm", "Large kernel", estimate_alpha_lkm, "He et al. 2010, large-kernel Laplacian"),
        MethodSpec("lbdm", "Learning-based", estimate_alpha_lbdm, "Zheng & Kambhamettu 2009"),
    )
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
    """Run the classical method ``name``; see the module docstring for shapes."""
    return get_method(name).fn(image, trimap, fast=fast, progress=progress, cancel=cancel)


__all__ = [
    "METHODS", "MethodSpec", "get_method", "run_method", "estimate_foreground",
    "estimate_alpha_cf", "estimate_alpha_knn", "estimate_alpha_rw", "estimate_alpha_lkm", "estimate_alpha_lbdm",
]
