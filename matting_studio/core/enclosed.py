"""No holes where the subject is solid: unknown regions enclosed by known foreground become foreground unless the
image gives real evidence of background there.

An unknown connected component is *enclosed* when its 1-px ring holds no known background (the image border
counts as neither). Evidence of background: most of its pixels have a colour close to one of the known
background's and far from every colour of the known foreground (nearest neighbours among up to
``SAMPLES`` samples of each, RGB distance). A hole through which the background is seen passes; a name patch on a
suit, a reflection, a logo, a shadow fold — colours found elsewhere on the subject — do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from matting_studio.core.errors import TrimapError
from matting_studio.core.trimap import BACKGROUND, FOREGROUND, UNKNOWN

SAMPLES = 4000  # colour samples of each known region
CLOSER = 0.5  # a pixel looks like background when its bg distance is below CLOSER × its fg distance …
NEAR = 0.08  # … and below NEAR (RGB distance, [0, 1] per channel)
EVIDENCE = 0.5  # fraction of such pixels that keeps an enclosed region unknown


@dataclass
class EnclosedResult:
    trimap: np.ndarray  # (H, W) {0, 0.5, 1}: filled regions set to foreground
    filled: np.ndarray  # (H, W) bool: enclosed regions made foreground
    kept: np.ndarray  # (H, W) bool: enclosed regions left unknown (the image shows background there)


def _sample(colours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if len(colours) > SAMPLES:
        colours = colours[rng.choice(len(colours), SAMPLES, replace=False)]
    return colours


def background_evidence(region_colours: np.ndarray, fg_colours: np.ndarray, bg_colours: np.ndarray) -> float:
    """Fraction of ``region_colours (N, 3)`` that look like background (see the module doc); 0 without samples."""
    from scipy.spatial import cKDTree

    if len(region_colours) == 0 or len(bg_colours) == 0:
        return 0.0
    if len(fg_colours) == 0:
        return 1.0
    d_bg = cKDTree(bg_colours).query(region_colours)[0]
    d_fg = cKDTree(fg_colours).query(region_colours)[0]
    return float(np.mean((d_bg < CLOSER * d_fg) & (d_bg < NEAR)))


def fill_enclosed_unknown(trimap: np.ndarray, image: np.ndarray, *, seed: int = 0) -> EnclosedResult:
    """Fill the unknown regions of ``trimap (H, W)`` enclosed by foreground that show no background colours.

    ``image (H, W, 3)`` float RGB in [0, 1]. Deterministic for a given ``seed`` (colour sampling).
    """
    trimap = np.asarray(trimap, np.float32)
    image = np.asarray(image, np.float32)
    if trimap.ndim != 2 or image.shape[:2] != trimap.shape or image.ndim != 3:
        raise TrimapError(f"The image {image.shape} does not match the trimap {trimap.shape}.")
    unknown = (trimap == UNKNOWN).astype(np.uint8)
    out = trimap.copy()
    filled = np.zeros(trimap.shape, bool)
    kept = np.zeros(trimap.shape, bool)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(unknown, connectivity=8)
    if count <= 1:
        return EnclosedResult(out, filled, kept)
    # components touching known background: any background pixel next to one (8-neighbourhood)
    near_bg = cv2.dilate((trimap == BACKGROUND).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    touching = np.zeros(count, bool)
    touching[np.unique(labels[near_bg & unknown.astype(bool)])] = True
    enclosed = [k for k in range(1, count) if not touching[k]]
    if not enclosed:
        return EnclosedResult(out, filled, kept)
    rng = np.random.default_rng(seed)
    rgb = image[..., :3]
    fg = _sample(rgb[trimap == FOREGROUND], rng)
    bg = _sample(rgb[trimap == BACKGROUND], rng)
    for k in enclosed:
        x, y, w, h = stats[k, :4]
        region = labels[y:y + h, x:x + w] == k
        colours = _sample(rgb[y:y + h, x:x + w][region], rng)
        target = filled if background_evidence(colours, fg, bg) < EVIDENCE else kept
        target[y:y + h, x:x + w] |= region
    out[filled] = FOREGROUND
    return EnclosedResult(out, filled, kept)
