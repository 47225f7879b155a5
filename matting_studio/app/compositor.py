"""Background-swap compositor: colour, image, blurred original or transparent; subject position and scale;
colour decontamination on/off; live preview."""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox, QColorDialog, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QPushButton,
    QVBoxLayout, QWidget,
)

from matting_studio.app.image_pane import ImagePane
from matting_studio.app.view_state import ViewState
from matting_studio.core import compositing
from matting_studio.core.imageio import load_image

MODES = ("Colour", "Image", "Blurred original", "Transparent")


def render_composite(image, alpha, fg, *, mode: str, color=(0.2, 0.8, 0.3), background=None,
                     offset=(0.0, 0.0), scale: float = 1.0, decontaminate: bool = True) -> np.ndarray:
    """The composite the compositor shows and exports: ``(H,W,3)``, or ``(H,W,4)`` for transparent."""
    colours = fg if decontaminate else image
    h, w = alpha.shape
    colours, alpha = compositing.place_subject(colours, alpha, (h, w), offset=offset, scale=scale)
    if mode == "Transparent":
        return compositing.cutout_rgba(colours, alpha)
    if mode == "Image" and background is not None:
        bg = compositing.image_background(background, (h, w), "fill")
    elif mode == "Blurred original":
        bg = compositing.blurred_background(image)
    else:
        bg = compositing.solid_background((h, w), color)
    return compositing.composite(colours, alpha, bg)


class CompositorPanel(QWidget):
    """Controls on the left, live preview on the right. ``changed`` fires when the settings change."""

    changed = Signal()
    error = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.image = self.alpha = self.fg = None
        self.background: Optional[np.ndarray] = None
        self.color = (0.2, 0.8, 0.3)
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.color_button = QPushButton("Colour…")
        self.color_button.clicked.connect(self.pick_color)
        self.image_button = QPushButton("Background image…")
        self.image_button.clicked.connect(self.pick_background)
        self.dx, self.dy = (QDoubleSpinBox(minimum=-1, maximum=1, singleStep=0.02) for _ in range(2))
        self.scale = QDoubleSpinBox(minimum=0.05, maximum=4, singleStep=0.05, value=1.0)
        self.decontaminate = QCheckBox("Colour decontamination")
        self.decontaminate.setChecked(True)
        for w in (self.mode,):
            w.currentIndexChanged.connect(self.refresh)
        for w in (self.dx, self.dy, self.scale):
            w.valueChanged.connect(self.refresh)
        self.decontaminate.toggled.connect(self.refresh)
        form = QFormLayout()
        form.addRow("Background", self.mode)
        form.addRow("", self.color_button)
        form.addRow("", self.image_button)
        form.addRow("Position x", self.dx)
        form.addRow("Position y", self.dy)
        form.addRow("Scale", self.scale)
        form.addRow("", self.decontaminate)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addStretch(1)
        self.preview = ImagePane("preview", "Composite preview", ViewState(), self)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addWidget(self.preview, 1)

    def set_subject(self, image, alpha, fg) -> None:
        self.image, self.alpha, self.fg = image, alpha, fg
        self.refresh()

    def pick_color(self) -> None:
        c = QColorDialog.getColor(QColor.fromRgbF(*self.color), self, "Background colour")
        if c.isValid():
            self.set_color((c.redF(), c.greenF(), c.blueF()))

    def set_color(self, rgb) -> None:
        self.color = tuple(rgb)
        self.mode.setCurrentText("Colour")
        self.refresh()

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
        self.mode.setCurrentText("Image")
        self.refresh()

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.set_background_file(urls[0])

    def settings(self) -> dict:
        return {"mode": self.mode.currentText(), "color": self.color, "background": self.background,
                "offset": (self.dx.value(), self.dy.value()), "scale": self.scale.value(),
                "decontaminate": self.decontaminate.isChecked()}

    def render(self) -> Optional[np.ndarray]:
        if self.alpha is None:
            return None
        return render_composite(self.image, self.alpha, self.fg, **self.settings())

    def refresh(self) -> None:
        self.color_button.setEnabled(self.mode.currentText() == "Colour")
        result = self.render()
        if result is None:
            self.preview.set_message("Run a method in the Matting tab first")
            return
        self.preview.set_image(result, self.mode.currentText())
        self.changed.emit()
