"""Global alignment of consecutive frames (camera shake is not subject motion).

A translation estimated on grayscale frames downscaled to ``ALIGN_SIDE``: phase correlation (Hann-windowed)
finds it robustly even when the subject moves over the static background, then ECC (OpenCV's enhanced
correlation coefficient) refines it to a fraction of a pixel; a few milliseconds per frame at any size. Shifts
compose by adding, so the neighbours of frame ``t`` are brought onto it from the consecutive shifts.
"""

from __future__ import annotations

import cv2
import numpy as np

ALIGN_SIDE = 256  # px: the long side frames are downscaled to before correlating
MIN_RESPONSE = 0.05  # phase-correlation peaks weaker than this are no match (a cut, a blank frame): no shift
MIN_SHIFT = 0.2  # px: smaller shifts are estimation noise on a still camera (warping by them would blur)
MAX_REFINEMENT = 2.0  # px at the small scale: an ECC result further from the phase estimate is not trusted
_ECC_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 1e-4)


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
    (dx, dy), response = cv2.phaseCorrelate(ref.copy(), mov.copy(), window)  # OpenCV 5 windows its inputs in place
    if not response >= MIN_RESPONSE:  # also NaN, from a blank frame
        return 0.0, 0.0
    try:
        matrix = np.float32([[1, 0, dx], [0, 1, dy]])
        _, matrix = cv2.findTransformECC(ref, mov, matrix, cv2.MOTION_TRANSLATION, _ECC_CRITERIA, None, 1)
        if np.hypot(matrix[0, 2] - dx, matrix[1, 2] - dy) <= MAX_REFINEMENT:
            dx, dy = float(matrix[0, 2]), float(matrix[1, 2])
    except cv2.error:  # ECC did not converge: the phase estimate stands
        pass
    dx, dy = dx / scale, dy / scale
    return (0.0, 0.0) if np.hypot(dx, dy) < MIN_SHIFT else (dx, dy)


def warp(image: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    """``image`` (``(H, W)`` or ``(H, W, C)``) moved by ``shift = (dx, dy)`` px; borders repeat the edge."""
    dx, dy = shift
    if dx == 0 and dy == 0:
        return image
    h, w = image.shape[:2]
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
