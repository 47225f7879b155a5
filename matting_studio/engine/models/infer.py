"""Learned-matting inference on numpy images: working resolution, full-resolution result.

The networks run with the long side at ``working_size`` (never upscaled) and only on the box around the
trimap's unknown pixels (the known ones are final); the alpha is brought back to full resolution edge-aware
(guided filter guided by the full image) and known trimap pixels are kept exact.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from matting_studio.core.guided_filter import guided_upsample, guided_upsample_at
from matting_studio.core.memory import release_freed_memory
from matting_studio.core.motion import motion_cues
from matting_studio.core.progress import CancelToken, check_cancel
from matting_studio.core.resample import sample_resized
from matting_studio.core.trimap import UNKNOWN


def _resize(arr: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA
    return cv2.resize(arr, size, interpolation=interp)


CONTEXT = 32  # px of known pixels kept around the unknown region for the networks to look at
SHAPE_STEP = 64  # the box's sides are grown to multiples of this (or the whole side): the networks then see a
# bounded set of input shapes, and per-shape caches (oneDNN's primitives) stop growing over a batch of photos
# (benchmarks/long_runs.py: about 1 MB per photo before)


def unknown_box(trimap: np.ndarray, margin: int) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)`` of the trimap's unknown pixels grown by ``margin`` (an empty box if none)."""
    rows = np.flatnonzero((trimap == UNKNOWN).any(axis=1))
    if rows.size == 0:
        return (0, 0, 0, 0)
    cols = np.flatnonzero((trimap == UNKNOWN).any(axis=0))
    h, w = trimap.shape
    return (max(0, rows[0] - margin), min(h, rows[-1] + 1 + margin),
            max(0, cols[0] - margin), min(w, cols[-1] + 1 + margin))


def _grow_to_step(lo: int, hi: int, size: int, step: int) -> tuple[int, int]:
    """``[lo, hi)`` grown around its centre to a multiple of ``step`` (at most ``size``), inside ``[0, size)``."""
    want = min(size, -(-(hi - lo) // step) * step)
    start = max(0, min(lo - (want - (hi - lo)) // 2, size - want))
    return start, start + want


def network_box(trimap: np.ndarray) -> Optional[tuple[int, int, int, int]]:
    """``(y0, y1, x0, x1)`` the networks run on: the unknown region with :data:`CONTEXT`, its sides grown to
    :data:`SHAPE_STEP` multiples; None when nothing is unknown."""
    y0, y1, x0, x1 = unknown_box(trimap, CONTEXT)
    if y1 == y0:
        return None
    h, w = trimap.shape
    return (*_grow_to_step(y0, y1, h, SHAPE_STEP), *_grow_to_step(x0, x1, w, SHAPE_STEP))


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
    timings: Optional[dict] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(alpha (H,W), foreground (H,W,3))`` float32 in [0,1] from DLMN-G (then SSRN when given).

    image ``(H,W,3)`` in [0,1]; soft_mask ``(H,W)`` in [0,1]; trimap ``(H,W)`` {0,0.5,1} or None;
    motion ``(4,H,W)`` or None (one photo: its grayscale repeated). ``timings`` (a dict) receives the seconds of
    the ``prior`` stage and of the ``networks``.
    """
    import time
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
        prior, t0 = None, time.perf_counter()
        if getattr(getattr(dlmng, "config", None), "colour_prior", False):  # the prior stage, on the whole image
            from matting_studio.engine.models.colour_prior import confident_trimap, matting_prior

            prior = torch.from_numpy(matting_prior(small, tri if tri is not None else confident_trimap(seg)))
            prior = prior[None].to(device)
        t1 = time.perf_counter()
        # Known trimap pixels are final: the networks only run on the unknown region's box (plus context).
        box = network_box(tri) if tri is not None else (0, small.shape[0], 0, small.shape[1])
        if box is None:  # nothing unknown: the trimap is the answer
            alpha_low, fg_low = tri.astype(np.float32), small
        else:
            y0, y1, x0, x1 = box
            crop = lambda a: a[..., y0:y1, x0:x1] if a is not None else None
            xc, sc, mc, tc = crop(x), crop(s), crop(m), crop(tt)
            # with SSRN the colour comes from SSRN, so DLMN-G's colour decoder is skipped
            release_freed_memory()  # the networks' large activations are mapped afresh: free heap pages go first
            out = dlmng(xc, sc, mc, tc, prior=crop(prior), foreground=ssrn is None)
            if ssrn is not None:
                check_cancel(cancel)
                refined = ssrn(xc, mc, sc, out["alpha"])
                alpha_t = refined["alpha"] if tc is None else torch.where(tc == UNKNOWN, refined["alpha"], tc)
                out = {"alpha": alpha_t, "foreground": refined["foreground"]}
            alpha_low = tri.astype(np.float32).copy() if tri is not None else np.zeros(small.shape[:2], np.float32)
            fg_low = small.copy()
            alpha_low[y0:y1, x0:x1] = out["alpha"][0, 0].float().cpu().numpy()
            fg_low[y0:y1, x0:x1] = out["foreground"][0].permute(1, 2, 0).float().cpu().numpy()
    if timings is not None:
        timings["prior"] = t1 - t0
        timings["networks"] = time.perf_counter() - t1
    check_cancel(cancel)
    if trimap is not None and scale < 1:
        return _full_resolution_in_band(image, small, trimap, alpha_low, fg_low)
    if scale < 1:
        alpha = guided_upsample(alpha_low, image, eps=1e-5)
        fg_up = cv2.resize(fg_low, (w, h), interpolation=cv2.INTER_LINEAR)
        # keep full-resolution detail: the network's colour correction is applied to the full image
        fg = np.clip(image + (fg_up - cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)), 0, 1)
    else:
        alpha, fg = alpha_low, fg_low
    if trimap is not None:
        known = trimap != UNKNOWN
        alpha = alpha.copy()
        alpha[known] = trimap[known]
    return np.clip(alpha, 0, 1).astype(np.float32), np.clip(fg, 0, 1).astype(np.float32)


def _full_resolution_in_band(image, small, trimap, alpha_low, fg_low) -> tuple[np.ndarray, np.ndarray]:
    """Full-resolution ``(alpha (H,W), foreground (H,W,3))`` from the working-size result, computed only at the
    trimap's unknown pixels. Elsewhere the alpha is the trimap, and the foreground is the image: where alpha is 1
    the photo's colour is the foreground's exactly, and where it is 0 the colour is never seen."""
    h, w = image.shape[:2]
    rows, cols = np.nonzero(trimap == UNKNOWN)
    alpha = np.array(trimap, dtype=np.float32)
    alpha[rows, cols] = guided_upsample_at(alpha_low, image, rows, cols, eps=1e-5)
    fg = np.array(image, dtype=np.float32)
    # keep full-resolution detail: the network's colour correction is added to the full image
    correction = sample_resized(fg_low - small, rows, cols, (w, h))
    fg[rows, cols] += correction
    return alpha, np.clip(fg, 0, 1, out=fg)
