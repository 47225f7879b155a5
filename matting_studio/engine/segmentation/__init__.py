"""Soft segmentation backends: ``person`` (MediaPipe selfie port), ``deeplabv3`` (torchvision), ``object``
(U²-Net-p port; GrabCut, which needs no weights, as the fallback), ``combined`` (object + person).
Each has ``segment(image (H,W,3) float [0,1]) -> (H,W) float32 in [0,1]``."""

from __future__ import annotations

from matting_studio.core.errors import MethodError
from matting_studio.core.registry import SEGMENTER_NAMES


def get_segmenter(name: str = "person", *, device="auto", **options):
    """Build the named segmenter (torch and weights are loaded only here)."""
    if name == "person":
        from matting_studio.engine.segmentation.person import PersonSegmenter

        return PersonSegmenter(device=device, **options)
    if name == "deeplabv3":
        from matting_studio.engine.segmentation.deeplab import DeepLabSegmenter

        return DeepLabSegmenter(device=device, **options)
    if name == "object":
        from matting_studio.engine.segmentation.object_mode import ObjectSegmenter

        return ObjectSegmenter(device=device, **options)
    if name == "combined":
        from matting_studio.engine.segmentation.combined import CombinedSegmenter

        return CombinedSegmenter(device=device, **options)
    raise MethodError(f"Unknown segmenter '{name}'; choose one of {', '.join(SEGMENTER_NAMES)}.")
