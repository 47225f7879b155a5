"""Background-swap compositor: colour, image, blurred original or transparent; subject anchor, position and
scale; a live preview of exactly what is exported, rendered off the GUI
thread. The options are a :class:`~matting_studio.session.CompositeOptions`."""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QPushButton,
    QVBoxLayout, QWidget,
)

from matting_studio.app.image_pane import ImagePane
from matting_studio.app.view_state import ViewState
from matting_studio.app.workers import Jobs, Worker
from matting_studio.core.imageio import load_image
from matting_studio.session import BackgroundMode, CompositeOptions, render_composite
from matting_studio.session.compositing import Anchor

REFRESH_MS = 60  # debounce of the preview while a spin box changes
NO_SUBJECT = "Run a method in the Matting tab first"


def _render_job(image, alpha, fg, options, *, progress, cancel):
    return render_composite(image, alpha, fg, options)


class CompositorPanel(QWidget):
    """Controls on the left, live preview on the right. ``changed`` fires when the preview is updated."""

    changed = Signal()
    error = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.image = self.alpha = self.fg = None
        self.background: Optional[np.ndarray] = None
        self.color = CompositeOptions().color
        self.mode = QComboBox()
        for mode in BackgroundMode:
            self.mode.addItem(mode.label, mode)
        self.anchor = QComboBox()
        for anchor in Anchor:
            self.anchor.addItem(anchor.label, anchor)
        self.color_button = QPushButton("Colour…")
        self.color_button.clicked.connect(self.pick_color)
        self.image_button = QPushButton("Background image…")
        self.image_button.clicked.connect(self.pick_background)
        self.dx, self.dy = (QDoubleSpinBox(minimum=-1, maximum=1, singleStep=0.02) for _ in range(2))
        self.scale = QDoubleSpinBox(minimum=0.05, maximum=4, singleStep=0.05, value=1.0)
        self.jobs = Jobs(self, max_threads=1)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh_now)
        for w in (self.mode, self.anchor):
            w.currentIndexChanged.connect(self.refresh)
        for w in (self.dx, self.dy, self.scale):
            w.valueChanged.connect(self.refresh)
        form = QFormLayout()
        form.addRow("Background", self.mode)
        form.addRow("", self.color_button)
        form.addRow("", self.image_button)
        form.addRow("Anchor", self.anchor)
        form.addRow("Position x", self.dx)
        form.addRow("Position y", self.dy)
        form.addRow("Scale", self.scale)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addStretch(1)
        self.preview = ImagePane("preview", "Composite preview", ViewState(), self)
        self.preview.set_message(NO_SUBJECT)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addWidget(self.preview, 1)

    @property
    def view(self) -> ViewState:
        return self.preview.canvas.view

    def set_subject(self, image, alpha, fg) -> None:
        """Show a new subject; a new image (another size) is fitted to the preview."""
        new_image = self.image is not image
        self.image, self.alpha, self.fg = image, alpha, fg
        if new_image:
            self.view.fit()
        self.refresh_now()

    def clear_subject(self, message: str = NO_SUBJECT) -> None:
        """No subject (another image is being matted): the preview never shows the previous image."""
        self.jobs.discard_all()
        self.image = self.alpha = self.fg = None
        self.preview.set_image(None)
        self.preview.set_message(message)
        self.view.fit()

    def pick_color(self) -> None:
        c = QColorDialog.getColor(QColor.fromRgbF(*self.color), self, "Background colour")
        if c.isValid():
            self.set_color((c.redF(), c.greenF(), c.blueF()))

    def set_mode(self, mode: BackgroundMode) -> None:
        self.mode.setCurrentIndex(self.mode.findData(mode))

    def set_color(self, rgb) -> None:
        self.color = tuple(rgb)
        self.set_mode(BackgroundMode.COLOUR)
        self.refresh_now()

    def pick_background(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Background image", "", "Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.bmp *.heic)")
        if path:
            self.set_background_file(path)

    def set_background_file(self, path: str) -> None:
        try:
            self.background = load_image(path).rgb
        except Exception as exc:  # noqa: BLE001 - a message, never a crash
            self.error.emit(str(exc))
            return
        self.set_mode(BackgroundMode.IMAGE)
        self.refresh_now()

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.set_background_file(urls[0])

    def options(self) -> CompositeOptions:
        return CompositeOptions(mode=self.mode.currentData(), color=self.color, background=self.background,
                                offset=(self.dx.value(), self.dy.value()), scale=self.scale.value(),
                                anchor=self.anchor.currentData())

    def render(self) -> Optional[np.ndarray]:
        """The composite as exported (None without a subject); raises ``CompositingError`` on bad options."""
        if self.alpha is None:
            return None
        return render_composite(self.image, self.alpha, self.fg, self.options())

    def refresh(self) -> None:
        """Schedule a preview update (debounced)."""
        self._timer.start()

    def refresh_now(self) -> None:
        self._timer.stop()
        options = self.options()
        self.color_button.setEnabled(options.mode is BackgroundMode.COLOUR)
        if self.alpha is None:
            self.preview.set_message(NO_SUBJECT)
            return
        if options.mode is BackgroundMode.IMAGE and options.background is None:
            self.jobs.discard_all()
            self.preview.set_image(None)
            self.preview.set_message("Choose a background image (or drop one here)", detail=options.mode.label)
            return
        self.jobs.start("preview", Worker(_render_job, self.image, self.alpha, self.fg, options),
                        finished=lambda comp: self._show(comp, options), error=self.error.emit)

    def _show(self, comp: np.ndarray, options: CompositeOptions) -> None:
        h, w = comp.shape[:2]
        where = f"{options.anchor.label.lower()} {options.offset[0]:+.2f}, {options.offset[1]:+.2f}"
        self.preview.set_image(comp, f"{options.mode.label} · {w}×{h} · {where} · scale {options.scale:.2f}")
        self.changed.emit()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        self._timer.stop()
        return self.jobs.shutdown(timeout_ms)
