"""Learned-matting inference on numpy images: working resolution, full-resolution result.

The networks run with the long side at ``working_size`` (never upscaled), the alpha is brought back to full
resolution edge-aware (guided filter guided by the full image) and known trimap pixels are kept exact.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from matting_studio.core.guided_filter import guided_upsample
from matting_studio.core.motion import motion_cues
from matting_studio.core.progress import CancelToken, check_cancel


def _resize(arr: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA
    return cv2.resize(arr, size, interpolation=interp)


def predict_alpha(
    dlmng,
    image: np.ndarray,
    soft_mask: np.ndarray,
    trimap: Optional[np.ndarray] = None,
    *,
    ssrn=None,
    device="cpu",
    working_size: int = 512,
    motion: Optional[np.ndarray] = None,
    cancel: Optional[CancelToken] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(alpha (H,W), foreground (H,W,3))`` float32 in [0,1] from DLMN-G (then SSRN when given).

    image ``(H,W,3)`` in [0,1]; soft_mask ``(H,W)`` in [0,1]; trimap ``(H,W)`` {0,0.5,1} or None;
    motion ``(4,H,W)`` or None (one photo: its grayscale repeated).
    """
    import torch

    image = np.asarray(image, np.float32)[..., :3]
    h, w = image.shape[:2]
    scale = min(1.0, working_size / max(h, w))
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    small = _resize(image, size) if scale < 1 else image
    seg = _resize(np.asarray(soft_mask, np.float32), size) if scale < 1 else np.asarray(soft_mask, np.float32)
    tri = None
    if trimap is not None:
        tri = _resize(np.asarray(trimap, np.float32), size, nearest=True) if scale < 1 else trimap
    mot = motion_cues(small) if motion is None else np.stack([_resize(m, size) for m in motion]) if scale < 1 else motion

    def t(a, channels_last=False):
        a = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
        a = a.permute(2, 0, 1) if channels_last else (a if a.ndim == 3 else a[None])
        return a[None].to(device)

    check_cancel(cancel)
    with torch.inference_mode():
        x, s, m = t(small, True), t(seg), t(mot)
        tt = t(tri) if tri is not None else None
        out = dlmng(x, s, m, tt)
        if ssrn is not None:
            check_cancel(cancel)
            refined = ssrn(x, m, s, out["alpha"])
            alpha_t = refined["alpha"] if tt is None else torch.where(tt == 0.5, refined["alpha"], tt)
            out = {"alpha": alpha_t, "foreground": refined["foreground"]}
        alpha_low = out["alpha"][0, 0].float().cpu().numpy()
        fg_low = out["foreground"][0].permute(1, 2, 0).float().cpu().numpy()
    check_cancel(cancel)
    if scale < 1:
        alpha = guided_upsample(alpha_low, image, eps=1e-5)
        fg_up = cv2.resize(fg_low, (w, h), interpolation=cv2.INTER_LINEAR)
        # keep full-resolution detail: the network's colour correction is applied to the full image
        fg = np.clip(image + (fg_up - cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)), 0, 1)
    else:
        alpha, fg = alpha_low, fg_low
    if trimap is not None:
        known = trimap != 0.5
        alpha = alpha.copy()
        alpha[known] = trimap[known]
    return np.clip(alpha, 0, 1).astype(np.float32), np.clip(fg, 0, 1).astype(np.float32)
