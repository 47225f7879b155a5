"""Object mode for products, animals and other subjects: a soft mask of the main (salient) object.

:class:`ObjectSegmenter` runs our port of U²-Net-p (rembg's salient-object model, fetched on first use) and falls
back to :class:`GrabCutSegmenter` when its weights cannot be had. GrabCut (Rother et al., 2004) needs no weights:
it is seeded from the image border (probable background) and a central region (probable foreground), or from a
user rectangle, at a working resolution. Both soften edges by guided upsampling.
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
BACKENDS = ("auto", "u2netp", "grabcut")


def _object_image(image: np.ndarray) -> np.ndarray:
    """``image`` as ``(H, W, 3)`` float32 for either object segmenter; too small is a :class:`MattingError`."""
    image = np.asarray(image, np.float32)[..., :3]
    if image.shape[0] < 8 or image.shape[1] < 8:
        raise MattingError("Object mode needs an image of at least 8x8 pixels.")
    return image


class GrabCutSegmenter:
    """``segment(image) -> (H, W) float32`` soft mask of the main object, by GrabCut (no weights).

    Args:
        rect: optional ``(x, y, w, h)`` in full-resolution pixels around the object.
        border: fraction of each side treated as background when no rectangle is given.
        iterations: GrabCut iterations.
    """

    name = "grabcut"

    def __init__(self, *, rect: Optional[tuple[int, int, int, int]] = None, border: float = 0.04,
                 iterations: int = 5) -> None:
        self.rect = rect
        self.border = border
        self.iterations = iterations

    def segment(self, image: np.ndarray, *, progress: Optional[ProgressFn] = None,
                cancel: Optional[CancelToken] = None) -> np.ndarray:
        image = _object_image(image)
        h, w = image.shape[:2]
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


_U2NETP: dict[str, object] = {}


def load_u2netp(device, progress: Optional[ProgressFn] = None):
    """Our U²-Net-p on ``device`` (weights fetched and verified on first use, cached per device)."""
    from matting_studio.engine import weights
    from matting_studio.engine.segmentation.u2netp import build_u2netp

    key = str(device)
    if key not in _U2NETP:
        path = weights.ensure_weights(weights.U2NETP.name, progress=progress)
        import torch

        # channels-last: 1.1 s instead of 2.0 s per 320x320 forward on the 2-core dev machine under load
        _U2NETP[key] = build_u2netp(weights=path).to(device, memory_format=torch.channels_last)
    return _U2NETP[key]


def u2netp_low_res(model, image: np.ndarray, device) -> np.ndarray:
    """``(320, 320)`` saliency in [0, 1] for ``image (H, W, 3)``, pre- and post-processed as rembg does."""
    import torch

    from matting_studio.engine.segmentation.u2netp import normalise_saliency, preprocess

    with torch.inference_mode():
        x = torch.from_numpy(preprocess(image)).to(device).contiguous(memory_format=torch.channels_last)
        fused = model(x)[0]
    return normalise_saliency(fused[0, 0].float().cpu().numpy())


class ObjectSegmenter:
    """``segment(image) -> (H, W) float32`` soft mask of the main object: U²-Net-p, else GrabCut.

    Args:
        backend: ``auto`` (U²-Net-p; GrabCut when its weights cannot be fetched, said in ``warning``),
            ``u2netp`` (a :class:`WeightsError` when missing) or ``grabcut``.
        rect: optional ``(x, y, w, h)`` in full-resolution pixels around the object; outside it is background.
        device: torch device for U²-Net-p. Other options go to :class:`GrabCutSegmenter`.
    """

    name = "object"

    def __init__(self, *, backend: str = "auto", rect: Optional[tuple[int, int, int, int]] = None,
                 device="auto", **grabcut_options) -> None:
        if backend not in BACKENDS:
            raise MattingError(f"Unknown object backend '{backend}'; choose one of {', '.join(BACKENDS)}.")
        self.backend = backend
        self.rect = rect
        self.device = device
        self.grabcut = GrabCutSegmenter(rect=rect, **grabcut_options)
        self.warning: Optional[str] = None  # set when auto fell back to GrabCut

    def _model(self, progress: Optional[ProgressFn]):
        from matting_studio.core.errors import WeightsError
        from matting_studio.engine.device import choose_device

        if self.backend == "grabcut":
            return None
        if isinstance(self.device, str):
            self.device = choose_device(self.device)
        try:
            return load_u2netp(self.device, progress=progress)
        except WeightsError as exc:
            if self.backend == "u2netp":
                raise
            self.warning = f"{exc} Object mode uses GrabCut instead."
            return None

    def segment(self, image: np.ndarray, *, progress: Optional[ProgressFn] = None,
                cancel: Optional[CancelToken] = None) -> np.ndarray:
        image = _object_image(image)
        h, w = image.shape[:2]
        check_cancel(cancel)
        report(progress, 0.0, "Loading the object segmenter")
        model = self._model(progress=None)
        if model is None:
            return self.grabcut.segment(image, progress=progress, cancel=cancel)
        x0, y0, x1, y1 = 0, 0, w, h
        if self.rect is not None:
            x, y, rw, rh = (int(round(v)) for v in self.rect)
            x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + rw), min(h, y + rh)
            if x1 - x0 < 8 or y1 - y0 < 8:
                raise MattingError("The object rectangle is too small.")
        crop = image[y0:y1, x0:x1]
        report(progress, 0.3, "U²-Net-p")
        low = u2netp_low_res(model, crop, self.device)
        check_cancel(cancel)
        report(progress, 0.7, "Upsampling the mask")
        mask = np.zeros((h, w), np.float32)
        mask[y0:y1, x0:x1] = np.clip(guided_upsample(low, crop, eps=1e-3), 0, 1)
        report(progress, 1.0, "Done")
        return mask
