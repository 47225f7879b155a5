"""Black-and-white (and toned) photos: images whose colour is a function of their brightness.

In such a photo colour cannot tell the subject from the background: every pixel of one brightness has the same
colour. A grey photo has no chroma at all; a sepia or duotone one has the chroma its brightness gives it. The test
bins the pixels by luma and asks whether each pixel's chroma is within ``CHROMA_TOLERANCE`` of its bin's median
(for 99 % of the pixels: JPEG noise and a stray coloured speck do not make a photo colour).
"""

from __future__ import annotations

import numpy as np

from matting_studio.core.motion import grayscale

CHROMA_TOLERANCE = 0.02  # chroma (B − Y, R − Y; channels in [0, 1]) off its brightness's median: still monochrome
COLOURED_SHARE = 0.01  # of the pixels may be further off than that
LUMA_BINS = 32
SAMPLE_SIDE = 256  # the test looks at about this many pixels along the longer side (a strided view)


def is_monochrome(image: np.ndarray) -> bool:
    """True when ``image`` ``(H, W, 3)`` float in [0, 1] is black and white, or toned (sepia, duotone)."""
    image = np.asarray(image)
    step = max(1, max(image.shape[:2]) // SAMPLE_SIDE)
    rgb = np.asarray(image[::step, ::step, :3], np.float32).reshape(-1, 3)
    luma = grayscale(rgb[None])[0]
    bins = np.minimum((luma * LUMA_BINS).astype(np.int64), LUMA_BINS - 1)
    order = np.argsort(bins, kind="stable")
    starts = np.searchsorted(bins[order], np.arange(LUMA_BINS + 1))
    for chroma in (rgb[:, 2] - luma, rgb[:, 0] - luma):
        off = np.empty_like(chroma)
        for b in range(LUMA_BINS):
            members = order[starts[b]:starts[b + 1]]
            if members.size:
                off[members] = np.abs(chroma[members] - np.median(chroma[members]))
        if np.mean(off > CHROMA_TOLERANCE) > COLOURED_SHARE:
            return False
    return True
