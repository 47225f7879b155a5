"""Both models: U²-Net-p's salient object, plus the parts of a person the person segmenter finds attached to it.

U²-Net-p draws the better boundaries but keeps only what is salient: a teddy bear's sweater or a red scarf
can be left out (alphamatting GT23, GT10). The person segmenter's confident regions outside the object are
added where they are more than thin slivers along its edge (an opening by ``SLIVER`` base bands removes those)
and touch the object. ``mask = max(object, person)`` there, the object's mask elsewhere. They are added only
when the person segmenter sees the object too (its confident region covers at least ``AGREE`` of the object's):
on a photo with no person it finds some other blob, such as the towel beside alphamatting GT27's yarn, which
would otherwise be glued to the subject.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, sub_progress
from matting_studio.core.trimap import MASK_THRESHOLD, default_band

SLIVER = 3  # opening radius, in base bands (core.trimap.default_band)
AGREE = 0.1  # share of the object's confident pixels the person's confident region must cover
# (chosen on all 20 alphamatting_dev images by benchmarks/combined_agree.py's rule; ties go to the lowest)


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def combine_masks(obj: np.ndarray, person: np.ndarray, *, agree: float = AGREE) -> np.ndarray:
    """``(H, W)`` soft masks in [0, 1] → the object's mask with the person's attached extra regions added
    (none when the person's confident region covers less than ``agree`` of the object's)."""
    inside = obj >= MASK_THRESHOLD
    seen = np.count_nonzero(inside & (person >= MASK_THRESHOLD))
    if not inside.any() or seen < agree * np.count_nonzero(inside):
        return obj.astype(np.float32)  # the two models see different subjects: the object's alone
    radius = SLIVER * default_band(obj.shape)
    extra = cv2.morphologyEx(((person >= MASK_THRESHOLD) & ~inside).astype(np.uint8), cv2.MORPH_OPEN, _disk(radius))
    count, labels = cv2.connectedComponents(extra)
    if count <= 1:
        return obj.astype(np.float32)
    near = cv2.dilate(inside.astype(np.uint8), _disk(radius + 1)).astype(bool)
    keep = np.zeros(count, bool)
    keep[np.unique(labels[near & (extra > 0)])] = True
    keep[0] = False
    region = cv2.dilate(keep[labels].astype(np.uint8), _disk(radius)).astype(bool)
    return np.where(region, np.maximum(obj, person), obj).astype(np.float32)


class CombinedSegmenter:
    """``segment(image (H,W,3) float [0,1]) -> (H,W) float32``: :func:`combine_masks` of object mode (U²-Net-p,
    or GrabCut without its weights) and the person segmenter."""

    name = "combined"

    def __init__(self, *, device="auto", **object_options) -> None:
        from matting_studio.engine.segmentation.object_mode import ObjectSegmenter
        from matting_studio.engine.segmentation.person import PersonSegmenter

        self.object = ObjectSegmenter(device=device, **object_options)
        self.person = PersonSegmenter(device=device)

    @property
    def warning(self) -> Optional[str]:
        return self.object.warning

    def segment(self, image: np.ndarray, *, progress: Optional[ProgressFn] = None,
                cancel: Optional[CancelToken] = None) -> np.ndarray:
        obj = self.object.segment(image, progress=sub_progress(progress, 0.0, 0.6), cancel=cancel)
        check_cancel(cancel)
        person = self.person.segment(image, progress=sub_progress(progress, 0.6, 1.0), cancel=cancel)
        return combine_masks(obj, person)
