"""Edge adjustments of a finished alpha matte (Photoshop's Select and Mask "Global Refinements"): Smooth,
Feather, Contrast and Shift Edge, applied in that order. A pure function on ``(H, W)`` float32 in [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from matting_studio.core.errors import MattingError

MAX_RADIUS = 200  # px, for Smooth, Feather and Shift Edge


class AlphaAdjustError(MattingError):
    """Edge-adjustment settings or an alpha matte that do not make sense."""


@dataclass(frozen=True)
class EdgeAdjust:
    """``smooth`` px: closing then opening with a disc (fills notches, then removes spikes, narrower than it);
    ``feather`` px: Gaussian blur sigma; ``contrast`` in [0, 1): steepens the ramp about 0.5 by 1/(1 − c);
    ``shift`` px: grey dilation (> 0, the edge moves out) or erosion (< 0, in)."""

    smooth: float = 0.0
    feather: float = 0.0
    contrast: float = 0.0
    shift: float = 0.0

    def __post_init__(self) -> None:
        for name in ("smooth", "feather"):
            if not 0 <= getattr(self, name) <= MAX_RADIUS:
                raise AlphaAdjustError(f"{name.capitalize()} must lie between 0 and {MAX_RADIUS} px.")
        if not 0 <= self.contrast < 1:
            raise AlphaAdjustError("Contrast must lie in [0, 1).")
        if abs(self.shift) > MAX_RADIUS:
            raise AlphaAdjustError(f"Shift Edge must lie within ±{MAX_RADIUS} px.")

    @property
    def is_identity(self) -> bool:
        return self == EdgeAdjust()


def _disc(radius: float) -> np.ndarray:
    size = 2 * int(round(radius)) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def adjust_alpha(alpha: np.ndarray, adjust: EdgeAdjust) -> np.ndarray:
    """``alpha (H, W)`` float in [0, 1] → the adjusted alpha, a new ``(H, W)`` float32 array in [0, 1]."""
    a = np.asarray(alpha, dtype=np.float32)
    if a.ndim != 2 or a.size == 0:
        raise AlphaAdjustError(f"An alpha matte is a 2-D array, not shape {a.shape}.")
    if not np.isfinite(a).all():
        raise AlphaAdjustError("The alpha matte holds NaN or infinite values.")
    a = np.clip(a, 0.0, 1.0)
    if round(adjust.smooth) >= 1:
        disc = _disc(adjust.smooth)
        a = cv2.morphologyEx(cv2.morphologyEx(a, cv2.MORPH_CLOSE, disc), cv2.MORPH_OPEN, disc)
    if adjust.feather > 0:
        a = cv2.GaussianBlur(a, (0, 0), adjust.feather, borderType=cv2.BORDER_REFLECT)
    if adjust.contrast > 0:
        a = (a - 0.5) / (1.0 - adjust.contrast) + 0.5
    if round(adjust.shift) != 0:
        op = cv2.dilate if adjust.shift > 0 else cv2.erode
        a = op(a, _disc(abs(adjust.shift)))
    return np.clip(a, 0.0, 1.0).astype(np.float32, copy=False)
