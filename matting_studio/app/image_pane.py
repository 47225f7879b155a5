"""A pane showing one image with the shared zoom/pan, a caption, an optional before/after split, and a
progress bar with Cancel while its method runs."""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout, QWidget

from matting_studio.app.qt_images import display_rgb, to_qimage
from matting_studio.app.view_state import ViewState

CAPTION_HEIGHT = 38


class ImageCanvas(QWidget):
    """Paints the image under the shared :class:`ViewState`; wheel zooms, drag pans (or paints a brush)."""

    def __init__(self, view: ViewState, parent=None) -> None:
        super().__init__(parent)
        self.view = view
        self.view.changed.connect(self.update)
        self.qimage: Optional[QImage] = None
        self.before: Optional[QImage] = None
        self.split: Optional[float] = None  # 0..1 position of the before/after divider
        self.message = ""
        self.brush: Optional[Callable[[str, QPointF], None]] = None  # ("press"|"move"|"release", image point)
        self._drag: Optional[QPointF] = None
        self.setMinimumSize(160, 120)
        self.setMouseTracking(False)

    # geometry -----------------------------------------------------------------------------------------

    def _scale_center(self) -> tuple[float, QPointF]:
        if self.qimage is None:
            return 1.0, QPointF(0, 0)
        iw, ih = self.qimage.width(), self.qimage.height()
        if self.view.scale is None:
            return min(self.width() / iw, self.height() / ih), QPointF(iw / 2, ih / 2)
        return self.view.scale, self.view.center

    def to_image(self, p: QPointF) -> QPointF:
        s, c = self._scale_center()
        return QPointF(c.x() + (p.x() - self.width() / 2) / s, c.y() + (p.y() - self.height() / 2) / s)

    def image_rect(self) -> QRectF:
        s, c = self._scale_center()
        iw, ih = (self.qimage.width(), self.qimage.height()) if self.qimage else (0, 0)
        return QRectF(self.width() / 2 - c.x() * s, self.height() / 2 - c.y() * s, iw * s, ih * s)

    # painting -----------------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(45, 45, 48))
        if self.qimage is None:
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message or "—")
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, (self.view.scale or 0) < 2)
        target = self.image_rect()
        painter.drawImage(target, self.qimage)
        if self.before is not None and self.split is not None:
            x = target.left() + target.width() * self.split
            painter.save()
            painter.setClipRect(QRectF(target.left(), target.top(), x - target.left(), target.height()))
            painter.drawImage(target, self.before)
            painter.restore()
            painter.setPen(QPen(QColor(255, 255, 255), 2))
            painter.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()))
        if self.message:
            painter.setPen(QColor(255, 220, 120))
            painter.drawText(self.rect().adjusted(6, 6, -6, -6), Qt.AlignmentFlag.AlignTop, self.message)

    # interaction --------------------------------------------------------------------------------------

    def wheelEvent(self, event) -> None:  # noqa: N802
        if self.qimage is None:
            return
        s, _ = self._scale_center()
        anchor = self.to_image(event.position())
        new = s * (1.25 ** (event.angleDelta().y() / 120.0))
        new = max(0.02, min(64.0, new))
        center = QPointF(anchor.x() - (event.position().x() - self.width() / 2) / new,
                         anchor.y() - (event.position().y() - self.height() / 2) / new)
        self.view.set(new, center)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if self.brush is not None and event.button() == Qt.MouseButton.LeftButton:
            self.brush("press", self.to_image(event.position()))
        else:
            self._drag = event.position()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self.brush is not None and self._drag is None:
            self.brush("move", self.to_image(event.position()))
        elif self._drag is not None and self.qimage is not None:
            s, c = self._scale_center()
            d = event.position() - self._drag
            self._drag = event.position()
            self.view.set(s, QPointF(c.x() - d.x() / s, c.y() - d.y() / s))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self.brush is not None and self._drag is None:
            self.brush("release", self.to_image(event.position()))
        self._drag = None


class ImagePane(QWidget):
    """Caption (title + details) above an :class:`ImageCanvas`, with a progress bar and Cancel button."""

    cancel_requested = Signal(str)

    def __init__(self, key: str, title: str, view: ViewState, parent=None) -> None:
        super().__init__(parent)
        self.key, self.title = key, title
        self.array: Optional[np.ndarray] = None
        self.canvas = ImageCanvas(view, self)
        self.caption = QWidget(self)
        from PySide6.QtWidgets import QLabel

        self.title_label = QLabel(f"<b>{title}</b>")
        self.detail_label = QLabel("")
        self.detail_label.setStyleSheet("color: #555; font-size: 11px")
        cap = QVBoxLayout(self.caption)
        cap.setContentsMargins(4, 2, 4, 2)
        cap.setSpacing(0)
        cap.addWidget(self.title_label)
        cap.addWidget(self.detail_label)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(self.key))
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bar)
        self.set_busy(False)

    def set_image(self, array: Optional[np.ndarray], detail: str = "") -> None:
        self.array = array
        self.canvas.qimage = None if array is None else to_qimage(display_rgb(array))
        self.canvas.message = ""
        self.detail_label.setText(detail)
        self.canvas.update()

    def set_before(self, array: Optional[np.ndarray], split: Optional[float]) -> None:
        self.canvas.before = None if array is None else to_qimage(display_rgb(array))
        self.canvas.split = split
        self.canvas.update()

    def set_message(self, text: str) -> None:
        self.canvas.message = text
        self.canvas.update()

    def set_busy(self, busy: bool, fraction: float = 0.0, message: str = "") -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.progress.setValue(int(fraction * 1000))
        if busy and message:
            self.detail_label.setText(message)
