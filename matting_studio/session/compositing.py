"""Compositing options as data, and the composite the compositor shows and exports."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

import numpy as np

from matting_studio.core import compositing
from matting_studio.core.compositing import CompositingError


class _Labelled(enum.Enum):
    """An option whose value is the text the app shows."""

    @property
    def label(self) -> str:
        return self.value


class BackgroundMode(_Labelled):
    """What goes behind the subject; ``label`` is what the app shows."""

    COLOUR = "Colour"
    IMAGE = "Image"
    BLURRED = "Blurred original"
    TRANSPARENT = "Transparent"


class Anchor(_Labelled):
    """Where the subject sits before the offset: the canvas centre, or standing on the bottom edge."""

    CENTRE = "Centre"
    BOTTOM = "Bottom"


@dataclass(frozen=True)
class CompositeOptions:
    """``color`` RGB in [0, 1]; ``background`` ``(h, w, 3)`` for :attr:`BackgroundMode.IMAGE`; ``offset``
    (dx, dy) moves the subject by fractions of the canvas size from its ``anchor``; ``scale`` is relative to
    fitting the subject to the canvas. (The decontamination amount is an edit of the image's session: it is in
    the foreground colours the compositor is given.)"""

    mode: BackgroundMode = BackgroundMode.COLOUR
    color: tuple[float, float, float] = (0.2, 0.8, 0.3)
    background: Optional[np.ndarray] = None
    offset: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    anchor: Anchor = Anchor.CENTRE


class CutoutView(_Labelled):
    """How the cut-out pane shows the result (Photoshop's Select and Mask view modes); ``V`` cycles them."""

    CHECKERBOARD = "On checkerboard"
    BLACK = "On black"
    WHITE = "On white"
    OVERLAY = "Overlay"
    ALPHA = "Alpha"


OVERLAY_RED = np.float32([1.0, 0.15, 0.1])  # the overlay's tint of what is cut away


def cutout_view(image: np.ndarray, fg: np.ndarray, alpha: np.ndarray, view: CutoutView) -> np.ndarray:
    """The cut-out as ``view`` shows it: ``(H,W,4)`` RGBA for the checkerboard (the pane draws it), ``(H,W)``
    for the alpha, else ``(H,W,3)``; overlay is the photo with what is cut away tinted red at half strength.
    Inputs float32 in [0, 1]: image and fg ``(H,W,3)``, alpha ``(H,W)``."""
    a = alpha[..., None]
    if view is CutoutView.CHECKERBOARD:
        return np.concatenate([fg, alpha[..., None]], 2)
    if view is CutoutView.ALPHA:
        return alpha
    if view is CutoutView.OVERLAY:
        return a * image + (1 - a) * (0.5 * image + 0.5 * OVERLAY_RED)
    behind = 0.0 if view is CutoutView.BLACK else 1.0
    return a * fg + (1 - a) * np.float32(behind)


def anchored_offset(shape: tuple[int, int], options: CompositeOptions) -> tuple[float, float]:
    """The centre-relative offset ``core.compositing.place_subject`` takes, for ``options.anchor``."""
    dx, dy = options.offset
    if options.anchor is Anchor.BOTTOM:
        h, w = shape
        subject_h = max(1, round(h * options.scale))  # the canvas is the subject image's own size
        dy += (h - subject_h) / 2.0 / h
    return dx, dy


def render_composite(image: np.ndarray, alpha: np.ndarray, fg: np.ndarray,
                     options: CompositeOptions = CompositeOptions()) -> np.ndarray:
    """The composite at the image's size: ``(H,W,3)``, or ``(H,W,4)`` for a transparent background.

    Raises :class:`CompositingError` for an image background without an image (never a silent colour)."""
    h, w = alpha.shape
    colours, alpha = compositing.place_subject(fg, alpha, (h, w), offset=anchored_offset((h, w), options),
                                               scale=options.scale)
    mode = options.mode
    if mode is BackgroundMode.TRANSPARENT:
        return compositing.cutout_rgba(colours, alpha)
    if mode is BackgroundMode.IMAGE:
        if options.background is None:
            raise CompositingError("Choose a background image (or drop one on the compositor).")
        bg = compositing.image_background(options.background, (h, w), "fill")
    elif mode is BackgroundMode.BLURRED:
        bg = compositing.blurred_background(image)
    else:
        bg = compositing.solid_background((h, w), options.color)
    return compositing.composite(colours, alpha, bg)
