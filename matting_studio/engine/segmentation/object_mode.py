"""Object mode for product shots: a soft mask without any person model or weights.

GrabCut (Rother et al., 2004) seeded from the image border (probable background) and a central region
(probable foreground), or from a user rectangle, at a working resolution; edges softened by guided upsampling.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from matting_studio.core.errors import MattingError
from matting_studio.core.guided_filter import guided_upsample
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report

WORKING_SIZE = 400
GRABCUT_SEED = 0  # GrabCut's k-means draws from OpenCV's (per-thread) generator: seeded, the mask is reproducible


class ObjectSegmenter:
    """``segment(image) -> (H, W) float32`` soft mask of the main object.

    Args:
        rect: optional ``(x, y, w, h)`` in full-resolution pixels around the object.
        border: fraction of each side treated as background when no rectangle is given.
        iterations: GrabCut iterations.
    """

    name = "object"

    def __init__(self, *, rect: Optional[tuple[int, int, int, int]] = None, border: float = 0.04,
                 iterations: int = 5, device=None) -> None:
        self.rect = rect
        self.border = border
        self.iterations = iterations

    def segment(self, image: np.ndarray, *, progress: Optional[ProgressFn] = None,
                cancel: Optional[CancelToken] = None) -> np.ndarray:
        image = np.asarray(image, np.float32)[..., :3]
        h, w = image.shape[:2]
        if h < 8 or w < 8:
            raise MattingError("Object mode needs an image of at least 8x8 pixels.")
        scale = min(1.0, WORKING_SIZE / max(h, w))
        sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
        small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
        small8 = (np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8)
        mask = np.full((sh, sw), cv2.GC_PR_BGD, np.uint8)
        if self.rect is not None:
            x, y, rw, rh = (int(round(v * scale)) for v in self.rect)
            if rw <= 1 or rh <= 1:
                raise MattingError("The object rectangle is too small.")
            mask[:] = cv2.GC_BGD
            mask[max(0, y):y + rh, max(0, x):x + rw] = cv2.GC_PR_FGD
        else:
            by, bx = max(1, round(self.border * sh)), max(1, round(self.border * sw))
            mask[:by, :] = cv2.GC_BGD
            mask[-by:, :] = cv2.GC_BGD
            mask[:, :bx] = cv2.GC_BGD
            mask[:, -bx:] = cv2.GC_BGD
            cy, cx = sh // 2, sw // 2
            mask[cy - sh // 4:cy + sh // 4, cx - sw // 4:cx + sw // 4] = cv2.GC_PR_FGD
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.setRNGSeed(GRABCUT_SEED)
        for i in range(self.iterations):
            check_cancel(cancel)
            if not np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).any():
                break  # GrabCut gave everything to the background: no object (it cannot run on no samples)
            cv2.grabCut(small8, mask, None, bgd, fgd, 1, cv2.GC_INIT_WITH_MASK)
            report(progress, 0.8 * (i + 1) / self.iterations, "GrabCut")
        hard = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
        # keep the largest component (stray background specks removed), fill holes
        count, labels, stats, _ = cv2.connectedComponentsWithStats(hard, connectivity=8)
        if count > 1:
            largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
            hard = (labels == largest).astype(np.uint8)
        soft = cv2.GaussianBlur(hard.astype(np.float32), (0, 0), 1.0)
        report(progress, 0.9, "Upsampling the mask")
        out = guided_upsample(soft, image, eps=1e-3)
        report(progress, 1.0, "Done")
        return out
