"""Person segmentation with our port of the MediaPipe selfie model; full-resolution soft mask by guided
upsampling (so the mask follows the image's edges rather than being a blurry upscale).

The model finds upright people. When it finds none in the image as loaded (a photo whose EXIF orientation is
missing or wrong shows its subject on its side), it looks at the image turned by quarter turns and takes the
turn whose person pixels it is most confident of, turned back.
"""

from __future__ import annotations

import threading
from typing import Optional

import cv2
import numpy as np

from matting_studio.core.guided_filter import guided_upsample
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report, sub_progress
from matting_studio.core.trimap import MASK_THRESHOLD

_MODELS: dict[str, object] = {}
_MODELS_LOCK = threading.Lock()

SUBJECT_MIN_FRACTION = 0.005  # of the network's frame at p >= MASK_THRESHOLD; less is "no person in this turn"
TURNS = (1, 3, 2)  # np.rot90's k: a quarter turn counter-clockwise, clockwise, then a half turn


def load_selfie_model(device, progress: Optional[ProgressFn] = None):
    """The selfie network on ``device`` (fetched and verified on first use, cached per device)."""
    from matting_studio.engine import weights
    from matting_studio.engine.segmentation.selfie import SelfieSegmentation

    key = str(device)
    with _MODELS_LOCK:
        if key not in _MODELS:
            path = weights.ensure_weights(weights.SELFIE.name, progress=progress)
            _MODELS[key] = SelfieSegmentation.from_file(path).to(device).eval()
        return _MODELS[key]


def _person_fraction(low: np.ndarray) -> float:
    return float((low >= MASK_THRESHOLD).mean())


def _confidence(low: np.ndarray) -> float:
    """Mean probability of the person pixels: the upright turn scores highest (27 of 30 portraits,
    ``benchmarks/segmenter_turns.py``), where the count of person pixels picks it for 11."""
    person = low[low >= MASK_THRESHOLD]
    return float(person.mean()) if person.size else 0.0


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
        rgb = np.ascontiguousarray(image[..., :3], dtype=np.float32)
        small = cv2.resize(rgb, (256, 256), interpolation=cv2.INTER_AREA)
        x = torch.from_numpy(np.clip(small, 0, 1)).permute(2, 0, 1)[None].to(self.device)
        with torch.inference_mode():
            return model(x)[0, 0].float().cpu().numpy()

    def upright_low_res(self, image: np.ndarray) -> np.ndarray:
        """:meth:`low_res`, or, when it finds no person, that of the most confident turn that does (turned back
        into the image's frame, ``(256, 256)``)."""
        low = self.low_res(image)
        if _person_fraction(low) >= SUBJECT_MIN_FRACTION:
            return low
        turned = [np.rot90(self.low_res(np.rot90(image, k)), -k) for k in TURNS]
        found = [t for t in turned if _person_fraction(t) >= SUBJECT_MIN_FRACTION]
        return np.ascontiguousarray(max(found, key=_confidence)) if found else low

    def segment(self, image: np.ndarray, *, progress: Optional[ProgressFn] = None,
                cancel: Optional[CancelToken] = None) -> np.ndarray:
        check_cancel(cancel)
        report(progress, 0.0, "Loading the person segmenter")
        load_selfie_model(self.device, progress=sub_progress(progress, 0.0, 0.3))  # fetched on first use
        report(progress, 0.3, "Segmenting")
        low = self.upright_low_res(image)
        check_cancel(cancel)
        report(progress, 0.7, "Upsampling the mask")
        mask = guided_upsample(low, np.asarray(image[..., :3], np.float32), eps=1e-3)
        report(progress, 1.0, "Done")
        return mask
