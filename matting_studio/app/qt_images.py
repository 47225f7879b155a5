"""numpy ↔ Qt image conversion (QImage only: QPixmaps are made by the widgets, on the GUI thread)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from matting_studio.core.contact_sheet import to_display_rgb


def to_qimage(array: np.ndarray) -> QImage:
    """Float image in [0, 1] — ``(H,W)``, ``(H,W,3)`` or ``(H,W,4)`` — → an RGB888 / RGBA8888 QImage (a copy)."""
    arr = np.clip(np.asarray(array, dtype=np.float32), 0.0, 1.0)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    data = np.ascontiguousarray((arr * 255.0 + 0.5).astype(np.uint8))
    h, w, c = data.shape
    fmt = QImage.Format.Format_RGBA8888 if c == 4 else QImage.Format.Format_RGB888
    return QImage(data.data, w, h, w * c, fmt).copy()


def display_rgb(array: np.ndarray) -> np.ndarray:
    """What a pane shows: RGBA over a checkerboard, gray as gray."""
    return to_display_rgb(array)


def from_qimage(image: QImage) -> np.ndarray:
    """QImage → ``(H, W, 4)`` float32 RGBA in [0, 1] (for tests and grabs)."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w = image.height(), image.width()
    buffer = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h)
    return buffer.reshape(h, image.bytesPerLine())[:, : w * 4].reshape(h, w, 4).astype(np.float32) / 255.0
