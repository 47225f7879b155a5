"""Person segmentation with our port of the MediaPipe selfie model; full-resolution soft mask by guided
upsampling (so the mask follows the image's edges rather than being a blurry upscale)."""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from matting_studio.core.guided_filter import guided_upsample
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report, sub_progress

_MODELS: dict[str, object] = {}


def load_selfie_model(device, progress: Optional[ProgressFn] = None):
    """The selfie network on ``device`` (fetched and verified on first use, cached per device)."""
    from matting_studio.engine import weights
    from matting_studio.engine.segmentation.selfie import SelfieSegmentation

    key = str(device)
    if key not in _MODELS:
        path = weights.ensure_weights(weights.SELFIE.name, progress=progress)
        _MODELS[key] = SelfieSegmentation.from_file(path).to(device).eval()
    return _MODELS[key]


class PersonSegmenter:
    """``segment(image (H,W,3) float [0,1]) -> (H,W) float32`` person probability at full resolution."""

    name = "person"

    def __init__(self, *, device="auto") -> None:
        from matting_studio.engine.device import choose_device

        self.device = choose_device(device) if isinstance(device, str) else device

    def low_res(self, image: np.ndarray) -> np.ndarray:
        """The network's ``(256, 256)`` probability for the whole image (stretched to a square, as MediaPipe does)."""
        import torch

        model = load_selfie_model(self.device)
        small = cv2.resize(np.asarray(image[..., :3], np.float32), (256, 256), interpolation=cv2.INTER_AREA)
        x = torch.from_numpy(np.clip(small, 0, 1)).permute(2, 0, 1)[None].to(self.device)
        with torch.inference_mode():
            return model(x)[0, 0].float().cpu().numpy()

    def segment(self, image: np.ndarray, *, progress: Optional[ProgressFn] = None,
                cancel: Optional[CancelToken] = None) -> np.ndarray:
        check_cancel(cancel)
        report(progress, 0.0, "Loading the person segmenter")
        load_selfie_model(self.device, progress=sub_progress(progress, 0.0, 0.3))  # fetched on first use
        report(progress, 0.3, "Segmenting")
        low = self.low_res(image)
        check_cancel(cancel)
        report(progress, 0.7, "Upsampling the mask")
        mask = guided_upsample(low, np.asarray(image[..., :3], np.float32), eps=1e-3)
        report(progress, 1.0, "Done")
        return mask
