"""Compositing maths: I = αF + (1 − α)B, cut-outs, premultiplied RGBA, and backgrounds.

Arrays are float32 in [0, 1]: colour ``(H, W, 3)``, alpha ``(H, W)``. Vectorised; fine at 4K.
"""

from __future__ import annotations

from typing import Sequence, Union

import cv2
import numpy as np

from matting_studio.core.errors import MattingError

Color = Union[str, Sequence[float]]


class CompositingError(MattingError):
    """Shapes or parameters that do not fit together."""


def _alpha3(alpha: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    alpha = np.asarray(alpha, dtype=np.float32)
    if alpha.shape != tuple(shape[:2]):
        raise CompositingError(f"Alpha is {alpha.shape}, the foreground is {tuple(shape[:2])}; they must match.")
    return alpha[..., None]


def parse_color(color: Color) -> np.ndarray:
    """'#rrggbb' or (r, g, b) floats in [0, 1] → float32 (3,)."""
    if isinstance(color, str):
        text = color.lstrip("#")
        if len(text) != 6:
            raise CompositingError(f"'{color}' is not a colour like '#33aa77'.")
        try:
            return np.array([int(text[i:i + 2], 16) / 255.0 for i in (0, 2, 4)], np.float32)
        except ValueError:
            raise CompositingError(f"'{color}' is not a colour like '#33aa77'.") from None
    arr = np.asarray(color, dtype=np.float32).reshape(-1)
    if arr.shape != (3,):
        raise CompositingError("A colour has three components (r, g, b).")
    return np.clip(arr, 0.0, 1.0)


def composite(fg: np.ndarray, alpha: np.ndarray, bg: Union[np.ndarray, Color]) -> np.ndarray:
    """``α·fg + (1 − α)·bg``; ``bg`` is an image of the same size or a colour. Returns ``(H, W, 3)`` float32."""
    fg = np.asarray(fg, dtype=np.float32)
    a = _alpha3(alpha, fg.shape)
    if isinstance(bg, str) or np.asarray(bg).ndim == 1:
        bg = parse_color(bg)[None, None, :]
    else:
        bg = np.asarray(bg, dtype=np.float32)
        if bg.shape != fg.shape:
            raise CompositingError(f"The background is {bg.shape}, the foreground {fg.shape}; they must match.")
    return (a * fg + (1.0 - a) * bg).astype(np.float32)


def check_decontamination(amount: float) -> float:
    """``amount`` as a float in [0, 1]; raises :class:`CompositingError` outside."""
    amount = float(amount)
    if not 0.0 <= amount <= 1.0:
        raise CompositingError("The decontamination amount must lie between 0 and 100 %.")
    return amount


def decontaminate(image: np.ndarray, fg: np.ndarray, amount: float) -> np.ndarray:
    """Subject colours ``(H,W,3)`` in [0, 1]: ``amount`` in [0, 1] blends from the photo's own colours (0: the old
    background bleeds through soft edges) to the estimated foreground ``fg`` (1: fully decontaminated)."""
    if check_decontamination(amount) == 1.0:
        return fg
    photo = image[..., :3].astype(np.float32, copy=False)
    return photo + np.float32(amount) * (fg - photo)


def cutout_rgba(fg: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Straight (un-premultiplied) RGBA ``(H, W, 4)``."""
    fg = np.asarray(fg, dtype=np.float32)
    return np.concatenate([fg, _alpha3(alpha, fg.shape)], axis=2)


def premultiplied_rgba(fg: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA ``(H, W, 4)``: colour channels are α·F."""
    fg = np.asarray(fg, dtype=np.float32)
    a = _alpha3(alpha, fg.shape)
    return np.concatenate([fg * a, a], axis=2)


def solid_background(shape: Sequence[int], color: Color) -> np.ndarray:
    """``(H, W, 3)`` filled with ``color``."""
    h, w = int(shape[0]), int(shape[1])
    return np.broadcast_to(parse_color(color), (h, w, 3)).astype(np.float32)


def image_background(image: np.ndarray, shape: Sequence[int], mode: str = "fill", fill_color: Color = (0, 0, 0)):
    """Resize a background to ``shape``: ``fill`` covers and centre-crops; ``fit`` letterboxes on fill_color."""
    image = np.asarray(image, dtype=np.float32)[..., :3]
    h, w = int(shape[0]), int(shape[1])
    ih, iw = image.shape[:2]
    if mode not in ("fill", "fit"):
        raise CompositingError(f"Background mode must be 'fill' or 'fit', not '{mode}'.")
    scale = max(w / iw, h / ih) if mode == "fill" else min(w / iw, h / ih)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    if mode == "fill":  # crop the source first: a 1x4000 strip must not become a 64x256000 image on the way
        sw, sh = min(iw, max(1, round(w / scale))), min(ih, max(1, round(h / scale)))
        x0, y0 = (iw - sw) // 2, (ih - sh) // 2
        crop = np.ascontiguousarray(image[y0:y0 + sh, x0:x0 + sw])
        return np.clip(cv2.resize(crop, (w, h), interpolation=interp), 0, 1)
    nw, nh = max(1, round(iw * scale)), max(1, round(ih * scale))
    resized = np.clip(cv2.resize(image, (nw, nh), interpolation=interp), 0, 1)
    out = solid_background((h, w), fill_color).copy()
    y0, x0 = (h - nh) // 2, (w - nw) // 2
    out[y0:y0 + nh, x0:x0 + nw] = resized
    return out


def blurred_background(image: np.ndarray, sigma: float | None = None) -> np.ndarray:
    """The image itself, strongly blurred (sigma ≈ 2% of the longer side by default)."""
    image = np.asarray(image, dtype=np.float32)[..., :3]
    if sigma is None:
        sigma = max(2.0, 0.02 * max(image.shape[:2]))
    # blur a downscaled copy: same look, far cheaper at HD and beyond
    factor = max(1, int(sigma // 4))
    small = cv2.resize(image, (max(1, image.shape[1] // factor), max(1, image.shape[0] // factor)),
                       interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return np.clip(cv2.resize(small, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR), 0, 1)


def place_subject(
    fg: np.ndarray,
    alpha: np.ndarray,
    canvas_shape: Sequence[int],
    *,
    offset: tuple[float, float] = (0.0, 0.0),
    scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Scale the subject and place it on a canvas of ``canvas_shape``; returns ``(fg, alpha)`` at canvas size.

    ``scale`` is relative to fitting the subject image to the canvas; ``offset`` (dx, dy) moves its centre by a
    fraction of the canvas width/height. Pixels outside the subject get alpha 0.
    """
    fg = np.asarray(fg, dtype=np.float32)
    alpha = np.asarray(alpha, dtype=np.float32)
    if scale <= 0:
        raise CompositingError("The subject's scale must be positive.")
    ch, cw = int(canvas_shape[0]), int(canvas_shape[1])
    h, w = alpha.shape
    fit = min(cw / w, ch / h) * scale
    nw, nh = max(1, round(w * fit)), max(1, round(h * fit))
    interp = cv2.INTER_AREA if fit < 1 else cv2.INTER_LINEAR
    if (nw, nh) != (w, h):
        fg = cv2.resize(fg, (nw, nh), interpolation=interp)
        alpha = cv2.resize(alpha, (nw, nh), interpolation=interp)
    x0 = int(round((cw - nw) / 2 + offset[0] * cw))
    y0 = int(round((ch - nh) / 2 + offset[1] * ch))
    out_fg = np.zeros((ch, cw, 3), np.float32)
    out_a = np.zeros((ch, cw), np.float32)
    sx0, sy0 = max(0, -x0), max(0, -y0)
    dx0, dy0 = max(0, x0), max(0, y0)
    dx1, dy1 = min(cw, x0 + nw), min(ch, y0 + nh)
    if dx1 > dx0 and dy1 > dy0:
        out_fg[dy0:dy1, dx0:dx1] = fg[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]
        out_a[dy0:dy1, dx0:dx1] = alpha[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]
    return out_fg, np.clip(out_a, 0, 1)
