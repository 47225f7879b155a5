"""DeepLabV3 (the paper's segmenter): torchvision's architectures, person-class probability as soft mask.

Weights come through torchvision's normal mechanism (``weights="default"``, only on machines that can download
them) or from a file the user gives. Without either, :class:`WeightsError` says so (the pipeline then uses the
person segmenter).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from matting_studio.core.errors import WeightsError
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report

ARCHS = ("mobilenet_v3_large", "resnet50", "resnet101")
WEIGHT_ENUMS = {"mobilenet_v3_large": "DeepLabV3_MobileNet_V3_Large_Weights",
                "resnet50": "DeepLabV3_ResNet50_Weights", "resnet101": "DeepLabV3_ResNet101_Weights"}
PERSON_CLASS = 15  # Pascal VOC "person"
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def build_deeplab(arch: str = "mobilenet_v3_large", *, weights: Optional[str | Path] = None, num_classes: int = 21):
    """A torchvision DeepLabV3. ``weights``: ``None`` (random, for tests), ``"default"`` (torchvision's
    download mechanism) or a path to a state dict."""
    try:
        from torchvision.models import segmentation as seg
    except ImportError:  # torchvision is optional at run time (a CPU-only torch may come without it)
        raise WeightsError("DeepLabV3 needs torchvision, which is not installed here (pip install torchvision).") \
            from None
    if arch not in ARCHS:
        raise WeightsError(f"Unknown DeepLabV3 backbone '{arch}'; choose one of {', '.join(ARCHS)}.")
    builder = getattr(seg, f"deeplabv3_{arch}")
    if weights == "default":
        enum = getattr(seg, WEIGHT_ENUMS[arch])
        try:
            return builder(weights=enum.DEFAULT)
        except Exception as exc:  # offline, or hub unreachable
            raise WeightsError(f"DeepLabV3 weights could not be downloaded ({type(exc).__name__}); give a "
                               "weights file instead.") from None
    model = builder(weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=False)
    if weights is not None:
        from matting_studio.engine.models.loading import state_dict_of

        state = state_dict_of(weights)
        state = {k: v for k, v in state.items() if not k.startswith("aux_classifier.")}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing:
            raise WeightsError(f"'{weights}' does not fit DeepLabV3-{arch}: {len(missing)} missing keys.")
    return model


class DeepLabSegmenter:
    """``segment(image) -> (H, W) float32`` person probability from DeepLabV3."""

    name = "deeplabv3"

    def __init__(self, *, arch: str = "mobilenet_v3_large", weights: Optional[str | Path] = None,
                 device="auto", working_size: int = 520, allow_random: bool = False) -> None:
        from matting_studio.engine.device import choose_device

        if weights is None and not allow_random:
            raise WeightsError("DeepLabV3 has no weights on this machine (torchvision's download is unavailable "
                               "offline); pass a weights file with --segmenter-weights FILE.")
        self.device = choose_device(device) if isinstance(device, str) else device
        self.model = build_deeplab(arch, weights=weights).to(self.device).eval()
        self.working_size = working_size

    def segment(self, image: np.ndarray, *, progress: Optional[ProgressFn] = None,
                cancel: Optional[CancelToken] = None) -> np.ndarray:
        import torch

        from matting_studio.core.guided_filter import guided_upsample

        image = np.asarray(image, np.float32)[..., :3]
        h, w = image.shape[:2]
        s = self.working_size / min(h, w)
        small = cv2.resize(image, (max(8, round(w * s)), max(8, round(h * s))), interpolation=cv2.INTER_AREA)
        x = torch.from_numpy((small - MEAN) / STD).permute(2, 0, 1)[None].to(self.device)
        check_cancel(cancel)
        report(progress, 0.2, "DeepLabV3")
        with torch.inference_mode():
            logits = self.model(x)["out"]
            prob = torch.softmax(logits.float(), dim=1)[0, PERSON_CLASS].cpu().numpy()
        check_cancel(cancel)
        report(progress, 0.8, "Upsampling the mask")
        return guided_upsample(prob, image, eps=1e-3)
