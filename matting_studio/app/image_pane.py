"""A pane showing one image with the shared zoom/pan, a caption, an optional before/after split or coloured
overlay, a zoom indicator, and a progress bar with Cancel drawn over the image while its method runs (so a
busy pane's image has the same size as its neighbours')."""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from matting_studio.app.brush import BrushTool
from matting_studio.app.qt_images import display_qimage, trimap_overlay
from matting_studio.app.view_state import ViewState
from matting_studio.app.workers import Jobs, Worker
from matting_studio.session.compositing import CutoutView, cutout_view

PAN_BUTTONS = (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton)  # pan even while the brush is on
SYNC_PIXELS = 250_000  # images up to this size are converted for display at once, larger ones in a worker


def _convert_job(fn, array, *, progress, cancel) -> QImage:
    return fn(array)


def _cutout_qimage(args) -> QImage:
    image, fg, alpha, view = args
    return display_qimage(cutout_view(image, fg, alpha, view))


NAVIGATOR_SIDE = 120  # px: the longer side of the navigator thumbnail shown while zoomed in ...
NAVIGATOR_FRACTION = 0.3  # ... at most this fraction of the canvas's shorter side (small panes stay visible)


class ImageCanvas(QWidget):
    """Paints the image under the shared :class:`ViewState`; the wheel zooms, dragging pans, or paints with
    ``brush`` (when set and on) — the middle and right buttons always pan. While the image is larger than the
    canvas, a navigator in the bottom-right corner shows the whole image and the visible part; a click there
    centres the view on that point."""

    def __init__(self, view: ViewState, parent=None) -> None:
        super().__init__(parent)
        self.view = view
        self.view.changed.connect(self.update)
        self.qimage: Optional[QImage] = None
        self.before: Optional[QImage] = None
        self.split: Optional[float] = None  # 0..1 position of the before/after divider
        self.overlay: Optional[QImage] = None  # drawn over the image at ``overlay_opacity``
        self.overlay_opacity = 0.5
        self.message = ""
        self.brush: Optional[BrushTool] = None
        self.hover: Optional[QPointF] = None  # the mouse, for the brush outline
        self._drag: Optional[QPointF] = None  # a pan in progress: its last screen position
        self._thumbnail: tuple = (None, None)  # ((the image it was made from, its size), the navigator's QImage)
        self._painting = False
        self.setMinimumSize(160, 120)
        self.setMouseTracking(True)

    def set_brush(self, brush: Optional[BrushTool]) -> None:
        if self.brush is not None:
            self.brush.changed.disconnect(self.update)
        self.brush = brush
        if brush is not None:
            brush.changed.connect(self.update)

    def brush_active(self) -> bool:
        return self.brush is not None and self.brush.enabled and self.qimage is not None

    # geometry -----------------------------------------------------------------------------------------

    def scale_center(self) -> tuple[float, QPointF]:
        """(screen px per image px, image point at the canvas centre)."""
        if self.qimage is None:
            return 1.0, QPointF(0, 0)
        iw, ih = self.qimage.width(), self.qimage.height()
        if self.view.scale is None:
            return min(self.width() / iw, self.height() / ih), QPointF(iw / 2, ih / 2)
        return self.view.scale, self.view.center

    _scale_center = scale_center  # older name, used by tests

    def to_image(self, p: QPointF) -> QPointF:
        s, c = self.scale_center()
        return QPointF(c.x() + (p.x() - self.width() / 2) / s, c.y() + (p.y() - self.height() / 2) / s)

    def to_screen(self, p: QPointF) -> QPointF:
        s, c = self.scale_center()
        return QPointF(self.width() / 2 + (p.x() - c.x()) * s, self.height() / 2 + (p.y() - c.y()) * s)

    def image_rect(self) -> QRectF:
        s, c = self.scale_center()
        iw, ih = (self.qimage.width(), self.qimage.height()) if self.qimage else (0, 0)
        return QRectF(self.width() / 2 - c.x() * s, self.height() / 2 - c.y() * s, iw * s, ih * s)

    def navigator_rect(self) -> Optional[QRectF]:
        """Where the navigator is drawn (screen coordinates), or None while the whole image is visible."""
        if self.qimage is None or self.qimage.width() == 0:
            return None
        target = self.image_rect()
        if target.left() >= -0.5 and target.top() >= -0.5 and target.right() <= self.width() + 0.5 \
                and target.bottom() <= self.height() + 0.5:
            return None
        iw, ih = self.qimage.width(), self.qimage.height()
        k = min(NAVIGATOR_SIDE, NAVIGATOR_FRACTION * min(self.width(), self.height())) / max(iw, ih)
        return QRectF(self.width() - iw * k - 8, self.height() - ih * k - 8, iw * k, ih * k)

    def _paint_navigator(self, painter: QPainter) -> None:
        nav = self.navigator_rect()
        if nav is None:
            return
        size = (round(nav.width()), round(nav.height()))
        if self._thumbnail[0] != (self.qimage, size):  # scaled once per image and size, not at every repaint
            self._thumbnail = ((self.qimage, size), self.qimage.scaled(*size,
                                                               Qt.AspectRatioMode.IgnoreAspectRatio,
                                                               Qt.TransformationMode.SmoothTransformation))
        painter.setOpacity(0.9)
        painter.drawImage(nav, self._thumbnail[1])
        painter.setOpacity(1.0)
        k = nav.width() / self.qimage.width()
        top_left, bottom_right = self.to_image(QPointF(0, 0)), self.to_image(QPointF(self.width(), self.height()))
        seen = QRectF(nav.left() + top_left.x() * k, nav.top() + top_left.y() * k,
                      (bottom_right.x() - top_left.x()) * k, (bottom_right.y() - top_left.y()) * k).intersected(nav)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0), 1))
        painter.drawRect(nav)
        painter.setPen(QPen(QColor(255, 210, 0), 2))
        painter.drawRect(seen)

    # painting -----------------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(45, 45, 48))
        if self.qimage is None:
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message or "—")
            return
        scale = self.scale_center()[0]
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 2)
        target = self.image_rect()
        painter.drawImage(target, self.qimage)
        if self.overlay is not None and self.overlay_opacity > 0:
            painter.setOpacity(self.overlay_opacity)
            painter.drawImage(target, self.overlay)
            painter.setOpacity(1.0)
        if self.before is not None and self.split is not None:
            x = target.left() + target.width() * self.split
            painter.save()
            painter.setClipRect(QRectF(target.left(), target.top(), x - target.left(), target.height()))
            painter.drawImage(target, self.before)
            painter.restore()
            painter.setPen(QPen(QColor(255, 255, 255), 2))
            painter.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()))
        self._paint_brush(painter)
        self._paint_navigator(painter)
        painter.setPen(QColor(230, 230, 230))
        painter.drawText(self.rect().adjusted(4, 4, -6, -4), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                         f"{scale * 100:.0f} %")
        if self.message:
            painter.setPen(QColor(255, 220, 120))
            painter.drawText(self.rect().adjusted(6, 6, -6, -6), Qt.AlignmentFlag.AlignTop, self.message)

    def _paint_brush(self, painter: QPainter) -> None:
        if not self.brush_active():
            return
        brush = self.brush
        if self._painting and brush.points:  # the live stroke, in the colour it paints
            path = QPainterPath(self.to_screen(QPointF(*brush.points[0])))
            for x, y in brush.points[1:]:
                path.lineTo(self.to_screen(QPointF(x, y)))
            colour = QColor(brush.colour)
            colour.setAlpha(160)
            pen = QPen(colour, brush.size, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            if len(brush.points) == 1:
                painter.drawPoint(path.currentPosition())
            else:
                painter.drawPath(path)
        if self.hover is not None:  # the brush outline: black and white, visible on any image
            r = brush.size / 2.0
            for colour, width in ((QColor(0, 0, 0), 3), (QColor(255, 255, 255), 1)):
                painter.setPen(QPen(colour, width))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(self.hover, r, r)

    # interaction --------------------------------------------------------------------------------------

    def wheelEvent(self, event) -> None:  # noqa: N802
        if self.qimage is None:
            return
        s, _ = self.scale_center()
        anchor = self.to_image(event.position())
        new = s * (1.25 ** (event.angleDelta().y() / 120.0))
        new = max(0.02, min(64.0, new))
        center = QPointF(anchor.x() - (event.position().x() - self.width() / 2) / new,
                         anchor.y() - (event.position().y() - self.height() / 2) / new)
        self.view.set(new, center)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        nav = self.navigator_rect()
        if nav is not None and nav.contains(event.position()):  # jump there
            k = nav.width() / self.qimage.width()
            p = event.position() - nav.topLeft()
            self.view.set(self.scale_center()[0], QPointF(p.x() / k, p.y() / k))
            return
        if event.button() == Qt.MouseButton.LeftButton and self.brush_active():
            self._painting = True
            self.brush.press(self.to_image(event.position()), self.scale_center()[0])
        elif event.button() in PAN_BUTTONS or event.button() == Qt.MouseButton.LeftButton:
            self._drag = event.position()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        self.hover = event.position()
        if self._painting:
            self.brush.move(self.to_image(event.position()))
        elif self._drag is not None and self.qimage is not None:
            s, c = self.scale_center()
            d = event.position() - self._drag
            self._drag = event.position()
            self.view.set(s, QPointF(c.x() - d.x() / s, c.y() - d.y() / s))
        elif self.brush_active():
            self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._painting and event.button() == Qt.MouseButton.LeftButton:
            self._painting = False
            self.brush.release(self.to_image(event.position()))
        self._drag = None

    def leaveEvent(self, event) -> None:  # noqa: N802
        self.hover = None
        self.update()


class ImagePane(QWidget):
    """Caption (title + details) above an :class:`ImageCanvas`; a progress bar and Cancel over its bottom."""

    cancel_requested = Signal(str)

    def __init__(self, key: str, title: str, view: ViewState, parent=None) -> None:
        super().__init__(parent)
        self.key, self.title = key, title
        self.array: Optional[np.ndarray] = None
        self.canvas = ImageCanvas(view, self)
        self.caption = QWidget(self)
        self.title_label = QLabel(f"<b>{title}</b>")
        self.detail_label = QLabel("")
        self.detail_label.setStyleSheet("color: #555; font-size: 11px")
        cap = QVBoxLayout(self.caption)
        cap.setContentsMargins(4, 2, 4, 2)
        cap.setSpacing(0)
        cap.addWidget(self.title_label)
        cap.addWidget(self.detail_label)
        self.busy_bar = QWidget(self.canvas)  # a child of the canvas: it never takes the canvas's height
        self.progress = QProgressBar(self.busy_bar)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.cancel_button = QPushButton("Cancel", self.busy_bar)
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(self.key))
        bar = QHBoxLayout(self.busy_bar)
        bar.setContentsMargins(4, 0, 4, 2)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.canvas, 1)
        self.canvas.installEventFilter(self)
        self._jobs: Optional[Jobs] = None  # display conversions of large images
        self.set_busy(False)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - keeps the busy bar on the canvas's bottom edge
        if obj is self.canvas and event.type() == QEvent.Type.Resize:
            self._place_busy_bar()
        return False

    def _place_busy_bar(self) -> None:
        h = self.busy_bar.sizeHint().height()
        self.busy_bar.setGeometry(0, self.canvas.height() - h, self.canvas.width(), h)

    def _convert(self, key: str, fn, array: Optional[np.ndarray], apply) -> None:
        """``apply(fn(array))`` — at once for small arrays, else from a worker (the GUI thread stays free);
        ``apply(None)`` for None."""
        if self._jobs is not None:
            self._jobs.discard(key)
        shape = None if array is None else (array[0] if isinstance(array, tuple) else array).shape
        if array is None or shape[0] * shape[1] <= SYNC_PIXELS:
            apply(None if array is None else fn(array))
            return
        if self._jobs is None:
            self._jobs = Jobs(self, max_threads=1)
        self._jobs.start(key, Worker(_convert_job, fn, array), finished=apply)

    def set_image(self, array: Optional[np.ndarray], detail: str = "") -> None:
        """Show ``array`` (float in [0, 1], ``(H,W)``, ``(H,W,3)`` or ``(H,W,4)`` over a checkerboard)."""
        self.array = array
        self.canvas.message = ""
        self.detail_label.setText(detail)
        self._convert("image", display_qimage, array, self._set_qimage)

    def set_cutout(self, fg: np.ndarray, alpha: np.ndarray, detail: str = "", *,
                   view: CutoutView = CutoutView.CHECKERBOARD, image: Optional[np.ndarray] = None) -> None:
        """Show ``fg (H,W,3)`` cut out by ``alpha (H,W)`` as ``view`` shows it (``session.cutout_view``; the
        overlay needs the photo ``image``); ``array`` is ``fg``."""
        self.array = fg
        self.canvas.message = ""
        self.detail_label.setText(detail)
        self._convert("image", _cutout_qimage, (fg if image is None else image, fg, alpha, view), self._set_qimage)

    def _set_qimage(self, image: Optional[QImage]) -> None:
        self.canvas.qimage = image
        self.canvas.update()

    def set_overlay(self, trimap: Optional[np.ndarray]) -> None:
        """Draw ``trimap`` over the image in the overlay colours (None: no overlay)."""
        self._convert("overlay", trimap_overlay, trimap, self._set_overlay)

    def _set_overlay(self, image: Optional[QImage]) -> None:
        self.canvas.overlay = image
        self.canvas.update()

    def set_before(self, image: Optional[QImage], split: Optional[float]) -> None:
        """The before/after divider: ``image`` left of ``split`` (0..1 of the width), this pane's right of it."""
        self.canvas.before = image
        self.canvas.split = split
        self.canvas.update()

    def set_message(self, text: str, detail: Optional[str] = None) -> None:
        self.canvas.message = text
        if detail is not None:
            self.detail_label.setText(detail)
        self.canvas.update()

    def set_busy(self, busy: bool, fraction: float = 0.0, message: str = "") -> None:
        self.busy_bar.setVisible(busy)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self._place_busy_bar()
            self.busy_bar.raise_()
        self.progress.setValue(int(fraction * 1000))
        if busy and message:
            self.detail_label.setText(message)
