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


def _sample(rgb: np.ndarray, where: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Up to ``SAMPLES`` colours ``(N, 3)`` of ``rgb (h, w, 3)`` where ``where (h, w)`` holds (with replacement)."""
    index = np.flatnonzero(where)
    if len(index) > SAMPLES:
        index = index[rng.integers(0, len(index), SAMPLES)]
    return rgb.reshape(-1, 3)[index]


class ColourModel:
    """Nearest-colour look-ups among samples of the known foreground and background (``(N, 3)`` RGB)."""

    def __init__(self, fg_colours: np.ndarray, bg_colours: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self.fg = cKDTree(fg_colours) if len(fg_colours) else None
        self.bg = cKDTree(bg_colours) if len(bg_colours) else None

    def background_evidence(self, region_colours: np.ndarray) -> float:
        """Fraction of ``region_colours (N, 3)`` that look like background (see the module doc)."""
        if len(region_colours) == 0 or self.bg is None:
            return 0.0
        if self.fg is None:
            return 1.0
        d_bg = self.bg.query(region_colours)[0]
        d_fg = self.fg.query(region_colours)[0]
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
    touching = np.bincount(labels[near_bg & unknown.astype(bool)], minlength=count) > 0
    enclosed = [k for k in range(1, count) if not touching[k]]
    if not enclosed:
        return EnclosedResult(out, filled, kept)
    rng = np.random.default_rng(seed)
    rgb = np.ascontiguousarray(image[..., :3])
    model = ColourModel(_sample(rgb, trimap == FOREGROUND, rng), _sample(rgb, trimap == BACKGROUND, rng))
    for k in enclosed:
        x, y, w, h = stats[k, :4]
        region = labels[y:y + h, x:x + w] == k
        colours = _sample(np.ascontiguousarray(rgb[y:y + h, x:x + w]), region, rng)
        target = filled if model.background_evidence(colours) < EVIDENCE else kept
        target[y:y + h, x:x + w] |= region
    out[filled] = FOREGROUND
    return EnclosedResult(out, filled, kept)
