"""Global alignment of consecutive frames (camera shake is not subject motion).

A translation estimated by phase correlation on downscaled grayscale frames (Hann-windowed): cheap (about a
millisecond at 720p), sub-pixel, and robust to the subject moving over a larger static background. Shifts
compose by adding, so the neighbours of frame ``t`` are brought onto it from the consecutive shifts.
"""

from __future__ import annotations

import cv2
import numpy as np

ALIGN_SIDE = 256  # px: the long side frames are downscaled to before correlating
MIN_RESPONSE = 0.05  # phase-correlation peaks weaker than this are no match (a cut, a blank frame): no shift


def _small(gray: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = gray.shape
    scale = min(1.0, ALIGN_SIDE / max(h, w))
    if scale < 1:
        gray = cv2.resize(gray, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(gray, np.float32), scale


def estimate_shift(reference: np.ndarray, moving: np.ndarray) -> tuple[float, float]:
    """``(dx, dy)`` in px such that ``moving`` shifted by ``(-dx, -dy)`` lies on ``reference``.

    Both ``(H, W)`` grayscale float32 of the same size; i.e. the content of ``reference`` appears in ``moving``
    displaced by ``(dx, dy)``.
    """
    ref, scale = _small(reference)
    mov, _ = _small(moving)
    window = cv2.createHanningWindow(ref.shape[::-1], cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(ref, mov, window)
    if response < MIN_RESPONSE:
        return 0.0, 0.0
    return dx / scale, dy / scale


def warp(image: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    """``image`` (``(H, W)`` or ``(H, W, C)``) moved by ``shift = (dx, dy)`` px; borders repeat the edge."""
    dx, dy = shift
    if dx == 0 and dy == 0:
        return image
    h, w = image.shape[:2]
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
