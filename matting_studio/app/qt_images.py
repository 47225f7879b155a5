"""numpy ↔ Qt image conversion (QImage only: QPixmaps are made by the widgets, on the GUI thread)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from matting_studio.core import trimap as trimap_ops
from matting_studio.core.contact_sheet import to_display_rgb

# RGBA of each trimap value in the overlay drawn over the photo (known foreground is left clear)
OVERLAY_RGBA = {trimap_ops.BACKGROUND: (40, 80, 220, 255), trimap_ops.UNKNOWN: (255, 200, 0, 255),
                trimap_ops.FOREGROUND: (0, 0, 0, 0)}


def to_qimage(array: np.ndarray) -> QImage:
    """Float image in [0, 1] — ``(H,W)``, ``(H,W,3)`` or ``(H,W,4)`` — → a Grayscale8 / RGB888 / RGBA8888 QImage
    (a copy)."""
    arr = np.clip(np.asarray(array, dtype=np.float32), 0.0, 1.0)
    data = np.ascontiguousarray((arr * 255.0 + 0.5).astype(np.uint8))
    return _qimage_u8(data if data.ndim == 3 else data[..., None])


def _qimage_u8(data: np.ndarray) -> QImage:
    h, w, c = data.shape
    fmt = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888, 4: QImage.Format.Format_RGBA8888}[c]
    return QImage(data.data, w, h, w * c, fmt).copy()


def display_rgb(array: np.ndarray) -> np.ndarray:
    """What a pane shows: RGBA over a checkerboard, gray as gray."""
    return to_display_rgb(array)


def display_qimage(array: np.ndarray) -> QImage:
    """:func:`display_rgb` then :func:`to_qimage` (thread-safe: QImage, not QPixmap); gray stays one channel."""
    return to_qimage(array if np.ndim(array) == 2 else display_rgb(array))


def trimap_overlay(trimap: np.ndarray) -> QImage:
    """A trimap ``(H,W)`` {0, 0.5, 1} → an RGBA8888 QImage coloured by :data:`OVERLAY_RGBA`."""
    lut = np.array([OVERLAY_RGBA[trimap_ops.BACKGROUND], OVERLAY_RGBA[trimap_ops.UNKNOWN],
                    OVERLAY_RGBA[trimap_ops.FOREGROUND]], np.uint8)
    index = np.rint(np.asarray(trimap, dtype=np.float32) * 2).astype(np.intp)  # 0, 1, 2
    return _qimage_u8(np.ascontiguousarray(lut[index]))
