"""Imperfect soft segmentations made from a true alpha (what a real segmenter would give).

Threshold, random erosion/dilation, blur, holes and blobs, a small affine jitter and sometimes a round trip
through a low resolution (like a 256-px segmenter), so that the matting network learns to fix its guidance.
"""

from __future__ import annotations

import cv2
import numpy as np


def imperfect_segmentation(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``alpha (H, W)`` in [0, 1] → a plausible, imperfect soft mask ``(H, W)`` float32 in [0, 1]."""
    h, w = alpha.shape
    mask = (alpha > rng.uniform(0.1, 0.9)).astype(np.float32)
    r = int(rng.integers(0, max(2, min(h, w) // 20)))
    if r > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        mask = cv2.erode(mask, kernel) if rng.random() < 0.5 else cv2.dilate(mask, kernel)
    for _ in range(int(rng.integers(0, 3))):  # holes and blobs
        cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
        radius = int(rng.integers(2, max(3, min(h, w) // 10)))
        cv2.circle(mask, (cx, cy), radius, float(rng.random() < 0.5), -1)
    if rng.random() < 0.5:  # affine jitter
        angle, shift = rng.uniform(-3, 3), rng.uniform(-0.02, 0.02, size=2) * (w, h)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, rng.uniform(0.97, 1.03))
        m[:, 2] += shift
        mask = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.5:  # low-resolution segmenter
        f = rng.uniform(0.125, 0.5)
        small = cv2.resize(mask, (max(4, int(w * f)), max(4, int(h * f))), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    sigma = rng.uniform(0.5, max(1.0, min(h, w) / 60))
    mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    return np.clip(mask, 0.0, 1.0).astype(np.float32)


def random_trimap(alpha: np.ndarray, rng: np.random.Generator, low: int = 3, high: int | None = None) -> np.ndarray:
    """Trimap from the true alpha: unknown = (0 < α < 1) grown by random bands (values {0, 0.5, 1}).

    The band on the foreground side and the one on the background side are drawn independently (``low`` to
    ``high`` px; ``high`` defaults to a tenth of the short side): drawn trimaps are rarely symmetric about the edge,
    and a network trained on symmetric ones learns to put the edge in the middle of the unknown band.
    """
    h, w = alpha.shape
    high = high or max(low + 1, min(h, w) // 10)
    trimap = np.full((h, w), 0.5, np.float32)
    for known, value in ((alpha >= 0.999, 1.0), (alpha <= 0.001, 0.0)):
        band = int(rng.integers(low, high + 1))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
        trimap[cv2.erode(known.astype(np.uint8), kernel).astype(bool)] = value
    return trimap
