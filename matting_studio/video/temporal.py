"""Temporal stability: an exponential moving average over frames, gated per pixel by motion.

Where the aligned frames agree (nothing moves) the new value is blended with the previous frame's result,
which averages away the per-frame noise of segmentation and matting; where the frame changed, or the new
value differs a lot from the previous one, the new value is taken as it is, so moving edges do not lag.
"Changed" reaches ``MOTION_REACH`` beyond where the luma changed: a moving subject's alpha edge lies across
flat colour (hair over a plain wall) a few px from any luma change, and blending it there made the alpha trail
the motion and settle over the still frames after it (``benchmarks/video.py``: with reach 0 the smoothed
alpha flickered more than the raw one in those frames).
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from matting_studio.core.errors import MattingError

DEFAULT_STRENGTH = 0.9  # weight of the previous result where nothing moves
MOTION_THRESHOLD = 0.04  # local mean luma change at which a pixel counts as fully moving
MOTION_REACH = 0.03  # how far motion reaches beyond the luma change, as a fraction of the frame's longer side
CHANGE_TOLERANCE = 0.25  # a soft mask / alpha change this large is real (motion the luma missed): taken as is
_GATE_BLUR = 7  # px: box of the local mean of the signed frame difference (sensor noise averages out there)


def motion_gate(gray: np.ndarray, previous: Optional[np.ndarray], strength: float = DEFAULT_STRENGTH) -> np.ndarray:
    """Per-pixel weight of the previous result, ``(H, W)`` float32 in [0, strength].

    ``gray`` and ``previous`` are ``(H, W)`` luma, the previous frame already aligned onto this one;
    no previous frame → all zero (nothing to blend with).
    """
    if not 0.0 <= strength < 1.0:
        raise MattingError(f"The smoothing strength must be in [0, 1), not {strength}.")
    if previous is None or strength == 0:
        return np.zeros(gray.shape, np.float32)
    change = np.abs(cv2.blur(gray - previous, (_GATE_BLUR, _GATE_BLUR)))
    reach = round(MOTION_REACH * max(gray.shape))
    if reach > 0:
        change = cv2.dilate(change, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1)))
    return (strength * np.clip(1.0 - change / MOTION_THRESHOLD, 0.0, 1.0)).astype(np.float32)


def agreement(previous: Optional[np.ndarray], current: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32 in [0, 1]: 1 where ``current`` equals ``previous``, 0 where they differ by
    ``CHANGE_TOLERANCE`` or more (flicker is small; an edge that moved is not); multiplies the motion gate."""
    if previous is None:
        return np.zeros(current.shape, np.float32)
    return np.clip(1.0 - np.abs(current - previous) / CHANGE_TOLERANCE, 0.0, 1.0).astype(np.float32)


def blend(previous: Optional[np.ndarray], current: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """``gate · previous + (1 − gate) · current``; ``previous`` None → ``current``. ``(H, W)`` float32."""
    if previous is None:
        return current
    return (gate * previous + (1.0 - gate) * current).astype(np.float32)
