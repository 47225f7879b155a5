"""Trimaps: known background (0), unknown (0.5), known foreground (1), as ``(H, W)`` float32.

Made from a soft mask by erosion / dilation (radii relative to the image size by default), painted from user
strokes, or loaded and validated (:func:`validate_trimap`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import cv2
import numpy as np

from matting_studio.core.errors import TrimapError

BACKGROUND, UNKNOWN, FOREGROUND = 0.0, 0.5, 1.0
KNOWN_BACKGROUND_MAX, KNOWN_FOREGROUND_MIN = 0.1, 0.9  # a loaded trimap's value at or below / at or above these
# is known (pymatting's thresholds too); between them it is unknown
MASK_THRESHOLD = 0.5  # a soft mask at or above this is the subject


def has_subject(mask: np.ndarray, threshold: float = MASK_THRESHOLD) -> bool:
    """True when any pixel of the soft mask ``(H, W)`` in [0, 1] is the subject (at or above ``threshold``)."""
    return bool((np.asarray(mask) >= threshold).any())


def default_band(shape: Sequence[int]) -> int:
    """Default erosion/dilation radius in px: about 1% of the image diagonal, at least 3 px."""
    h, w = int(shape[0]), int(shape[1])
    return max(3, int(round(0.01 * float(np.hypot(h, w)))))


def _distance_to_zero(binary: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance ``(H, W)`` float32 of each pixel of a {0, 1} uint8 image to its nearest 0 (huge
    where there is none; the image's border is not a 0)."""
    return cv2.distanceTransform(binary, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def erode_disk(binary: np.ndarray, radius: int) -> np.ndarray:
    """``binary (H, W)`` {0, 1} uint8 eroded by a Euclidean disk of ``radius`` px → bool. One distance transform:
    at 6 MP with a 36-px radius about 5x faster than ``cv2.erode`` with an elliptic kernel."""
    return _distance_to_zero(binary) > radius


def dilate_disk(binary: np.ndarray, radius: int) -> np.ndarray:
    """``binary (H, W)`` {0, 1} uint8 dilated by a Euclidean disk of ``radius`` px → bool."""
    return _distance_to_zero(1 - binary) <= radius


def trimap_from_mask(
    mask: np.ndarray,
    *,
    threshold: float = MASK_THRESHOLD,
    band: Optional[int] = None,
    erode: Optional[int] = None,
    dilate: Optional[int] = None,
    fg_threshold: float = 0.95,
    bg_threshold: float = 0.05,
) -> np.ndarray:
    """Trimap from a soft mask ``(H, W)`` in [0, 1].

    Known foreground: the mask above ``threshold``, eroded by a disk of ``erode`` px; known background: outside the mask
    dilated by ``dilate`` px; everything between is unknown, and so is every pixel the mask itself is unsure of
    (between ``bg_threshold`` and ``fg_threshold``). ``band`` sets both radii; by default
    :func:`default_band`. Radii of 0 are allowed.
    """
    mask = np.asarray(mask, dtype=np.float32)
    if mask.ndim != 2 or mask.size == 0:
        raise TrimapError(f"A soft mask must be a 2-D array, not shape {mask.shape}.")
    radius = default_band(mask.shape) if band is None else int(band)
    erode = radius if erode is None else int(erode)
    dilate = radius if dilate is None else int(dilate)
    if erode < 0 or dilate < 0:
        raise TrimapError("Erosion and dilation radii must not be negative.")
    binary = (mask >= threshold).astype(np.uint8)
    fg = erode_disk(binary, erode) if erode > 0 else binary.astype(bool)
    near = dilate_disk(binary, dilate) if dilate > 0 else binary.astype(bool)
    trimap = np.full(mask.shape, UNKNOWN, np.float32)
    trimap[fg & (mask >= fg_threshold)] = FOREGROUND
    trimap[~near & (mask <= bg_threshold)] = BACKGROUND
    return trimap


@dataclass(frozen=True)
class Stroke:
    """A brush stroke: polyline ``points`` [(x, y), ...] in pixels, ``radius`` px, painted ``value`` (0/0.5/1).
    ``refine``: a refine-edge stroke (it paints unknown, and only its region is solved again)."""

    points: tuple
    radius: float
    value: float
    refine: bool = False


def trimap_from_strokes(
    shape: Sequence[int], strokes: Sequence[Stroke], base: Optional[np.ndarray] = None
) -> np.ndarray:
    """Paint ``strokes`` in order onto ``base`` (or an all-unknown trimap of ``shape``); returns a new trimap."""
    h, w = int(shape[0]), int(shape[1])
    trimap = np.full((h, w), UNKNOWN, np.float32) if base is None else np.array(base, dtype=np.float32)
    if trimap.shape != (h, w):
        raise TrimapError(f"The base trimap is {trimap.shape[1]}x{trimap.shape[0]}, expected {w}x{h}.")
    for stroke in strokes:
        if stroke.value not in (BACKGROUND, UNKNOWN, FOREGROUND):
            raise TrimapError(f"A stroke paints 0, 0.5 or 1, not {stroke.value}.")
        pts = np.round(np.asarray(stroke.points, dtype=np.float64).reshape(-1, 2)).astype(np.int32)
        if len(pts) == 0:
            continue
        # draw on the stroke's own box (the same pixels as on the whole image, far cheaper for small strokes)
        pad = int(np.ceil(stroke.radius)) + 2
        x0, y0 = pts.min(axis=0) - pad
        x1, y1 = pts.max(axis=0) + pad + 1
        if (x1 - x0) * (y1 - y0) > 4 * h * w:  # far outside the image: clip as the whole image would
            x0, y0, x1, y1 = 0, 0, w, h
        pts = pts - np.array([x0, y0], np.int32)
        layer = np.zeros((y1 - y0, x1 - x0), np.uint8)
        thickness = max(1, int(round(2 * stroke.radius)))
        if len(pts) == 1:
            cv2.circle(layer, tuple(int(v) for v in pts[0]), max(0, int(round(stroke.radius))), 1, -1, cv2.LINE_8)
        else:
            cv2.polylines(layer, [pts], False, 1, thickness, cv2.LINE_8)
            for p in (pts[0], pts[-1]):  # round caps
                cv2.circle(layer, tuple(int(v) for v in p), max(0, int(round(stroke.radius))), 1, -1)
        cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if cx1 > cx0 and cy1 > cy0:
            region = trimap[cy0:cy1, cx0:cx1]
            region[layer[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0].astype(bool)] = stroke.value
    return trimap


def validate_trimap(trimap: np.ndarray, shape: Sequence[int], *, allow_fully_known: bool = False) -> np.ndarray:
    """Check a trimap against the image ``shape`` and quantise it to {0, 0.5, 1} (float32 copy).

    Accepts float in [0, 1], uint8 or uint16; a colour trimap gives its first channel. Values <= 0.1 become
    background, >= 0.9 foreground, anything else unknown. A trimap without an unknown region is an error
    unless ``allow_fully_known`` (it then is the alpha itself: see :func:`is_fully_known`).
    """
    arr = np.asarray(trimap)
    if arr.ndim == 3:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise TrimapError(f"A trimap must be a 2-D image, not an array of shape {arr.shape}.")
    h, w = int(shape[0]), int(shape[1])
    if arr.shape != (h, w):
        raise TrimapError(f"The trimap is {arr.shape[1]}x{arr.shape[0]} but the image is {w}x{h}; they must match.")
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        arr = arr.astype(np.float32) / 65535.0
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all() or arr.min() < -1e-6 or arr.max() > 1 + 1e-6:
        raise TrimapError("Trimap values must lie in [0, 1] (or 0..255 for 8-bit images).")
    out = np.full((h, w), UNKNOWN, np.float32)
    out[arr <= KNOWN_BACKGROUND_MAX] = BACKGROUND
    out[arr >= KNOWN_FOREGROUND_MIN] = FOREGROUND
    if not (allow_fully_known and is_fully_known(out)):
        check_solvable(out)
    return out


def is_fully_known(trimap: np.ndarray) -> bool:
    """True when a quantised trimap has no unknown pixel (nothing to solve: the alpha is the trimap)."""
    return not bool((np.asarray(trimap) == UNKNOWN).any())


def check_solvable(trimap: np.ndarray) -> None:
    """Raise :class:`TrimapError` unless a {0, 0.5, 1} trimap has both unknown and known pixels (two cheap
    passes, for callers that already hold a quantised trimap)."""
    unknown = np.asarray(trimap) == UNKNOWN
    if not unknown.any():
        raise TrimapError("The trimap has no unknown (grey) region, so there is nothing to solve.")
    if unknown.all():
        raise TrimapError("The trimap has no known foreground or background; paint some with the brush.")
