"""An automatic trimap whose unknown band is wide where the boundary has hair, fur or other thin structure, or
where the soft mask is unsure, and narrow on smooth edges (clothes, skin, product contours).

Along the mask's boundary two cues are read in a window of ``WINDOW`` base bands:

- **structure**: how many image edges outside the mask cross the window (Canny edge pixels × window side / window
  area). A smooth contour crosses it about once; strands of hair and fur sticking out cross it many times. Edges
  inside the mask (a textured shirt, a mesh) do not count.
- **unsureness**: the mean of ``4 m (1 − m)`` of the soft mask ``m`` (1 where it is 0.5, 0 where it is sure).

Each boundary pixel gets a level ``0 … LEVELS-1`` from the stronger cue; level ``k`` makes the band
``base · 2^k`` wide outside the mask (strands stick out) and half of that inside it. ``base`` is
:func:`core.trimap.default_band` (1 % of the diagonal), so at 6 MP the widest band reaches about 290 px.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from matting_studio.core.errors import TrimapError
from matting_studio.core.trimap import BACKGROUND, FOREGROUND, UNKNOWN, default_band

LEVELS = 4  # band widths base · 1, 2, 4, 8
WINDOW = 4  # cue window side, in base bands
CROSSINGS = (2.0, 7.0)  # edge crossings per window: at or below → level 0, at or above → the widest level
UNSURE = (0.1, 0.5)  # mean 4m(1-m) per window: likewise


def _ramp(x: np.ndarray, lo_hi: tuple[float, float]) -> np.ndarray:
    lo, hi = lo_hi
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def boundary_levels(mask: np.ndarray, image: np.ndarray, *, band: Optional[int] = None,
                    threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The mask's boundary pixels and their band levels.

    Args:
        mask: soft mask ``(H, W)`` float in [0, 1]. image: ``(H, W, 3)`` float RGB in [0, 1].
    Returns:
        ``boundary (H, W) bool`` (mask pixels with a 4-neighbour outside it) and ``levels (H, W) int8``
        (``0 … LEVELS-1`` on the boundary, ``-1`` elsewhere).
    """
    base = default_band(mask.shape) if band is None else int(band)
    binary = (mask >= threshold).astype(np.uint8)
    boundary = binary.astype(bool) & ~cv2.erode(binary, np.ones((3, 3), np.uint8)).astype(bool)
    side = max(5, WINDOW * base) | 1
    gray = cv2.cvtColor((np.clip(image[..., :3], 0, 1) * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), 20, 60).astype(np.float32) / 255.0
    edges[cv2.erode(binary, np.ones((5, 5), np.uint8)).astype(bool)] = 0  # the contour itself still counts
    crossings = cv2.boxFilter(edges, -1, (side, side), borderType=cv2.BORDER_REFLECT) * side
    m = np.clip(mask, 0, 1).astype(np.float32)
    unsure = cv2.boxFilter(4.0 * m * (1.0 - m), -1, (side, side), borderType=cv2.BORDER_REFLECT)
    strength = np.maximum(_ramp(crossings, CROSSINGS), _ramp(unsure, UNSURE))
    levels = np.full(mask.shape, -1, np.int8)
    levels[boundary] = np.rint(strength[boundary] * (LEVELS - 1)).astype(np.int8)
    return boundary, levels


def adaptive_trimap(mask: np.ndarray, image: np.ndarray, *, band: Optional[int] = None, threshold: float = 0.5,
                    fg_threshold: float = 0.95, bg_threshold: float = 0.05) -> np.ndarray:
    """Trimap ``(H, W)`` {0, 0.5, 1} from ``mask (H, W)`` and ``image (H, W, 3)`` with an adaptive unknown band
    (``band`` = the narrowest half-width, default :func:`default_band`). As in ``trimap_from_mask``, every
    pixel the mask is unsure of (between ``bg_threshold`` and ``fg_threshold``) is unknown too."""
    mask = np.asarray(mask, np.float32)
    image = np.asarray(image, np.float32)
    if mask.ndim != 2 or mask.size == 0:
        raise TrimapError(f"A soft mask must be a 2-D array, not shape {mask.shape}.")
    if image.shape[:2] != mask.shape or image.ndim != 3 or image.shape[2] < 3:
        raise TrimapError(f"The image {image.shape} does not match the soft mask {mask.shape}.")
    base = default_band(mask.shape) if band is None else int(band)
    if base < 0:
        raise TrimapError("The band half-width must not be negative.")
    boundary, levels = boundary_levels(mask, image, band=base, threshold=threshold)
    inside = mask >= threshold
    unknown = np.zeros(mask.shape, bool)
    for k in range(LEVELS):
        seeds = levels == k
        if not seeds.any():
            continue
        dist = cv2.distanceTransform((~seeds).astype(np.uint8), cv2.DIST_L2, 5)
        outer = base * 2 ** k
        unknown |= np.where(inside, dist <= max(base, outer // 2), dist <= outer)
    trimap = np.full(mask.shape, UNKNOWN, np.float32)
    trimap[~unknown & (mask >= fg_threshold)] = FOREGROUND
    trimap[~unknown & (mask <= bg_threshold)] = BACKGROUND
    return trimap
