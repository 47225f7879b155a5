"""One method's result on one image."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class MethodResult:
    """``alpha (H,W)`` and ``foreground (H,W,3)`` float32 in [0, 1], wall-clock ``seconds``, ``metrics``
    against the ground truth (``{"SAD","MSE","Grad","Conn"}``, empty without one) and the engine's ``warnings``."""

    method: str
    alpha: np.ndarray
    foreground: np.ndarray
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def metrics_text(self) -> str:
        """``"SAD 1.23  MSE 0.004 ..."`` ("" without metrics)."""
        return "  ".join(f"{k} {v:.3g}" for k, v in self.metrics.items())
