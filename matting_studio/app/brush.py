"""The trimap brush: size in screen pixels, the value it paints, and the stroke being drawn.

Canvases forward left-button drags here while the brush is on; on release the stroke goes to the session
(radius converted to image pixels at the canvas's zoom), which makes it undoable."""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QObject, QPointF, Signal
from PySide6.QtGui import QColor

from matting_studio.core.trimap import BACKGROUND, FOREGROUND, UNKNOWN, Stroke

REFINE = "refine"  # the refine-edge brush: paints unknown, and only its region is solved again
VALUES = ((FOREGROUND, "FG"), (BACKGROUND, "BG"), (UNKNOWN, "Unknown"), (REFINE, "Refine edge"))  # X cycles
COLOURS = {FOREGROUND: QColor(255, 255, 255), BACKGROUND: QColor(20, 20, 20), UNKNOWN: QColor(128, 128, 128),
           REFINE: QColor(255, 140, 0)}
MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 2, 400, 24  # brush diameter in screen pixels
SIZE_STEP = 1.25  # one [ or ] press


class BrushTool(QObject):
    """``changed`` fires when the size, value, on/off state or the live stroke change (canvases repaint)."""

    changed = Signal()

    def __init__(self, commit: Callable[[Stroke], None], parent=None) -> None:
        super().__init__(parent)
        self.commit = commit
        self.enabled = False
        self.size = DEFAULT_SIZE  # diameter, screen px
        self.value = FOREGROUND
        self.points: list[tuple[float, float]] = []  # the live stroke, image coordinates
        self.scale = 1.0  # screen px per image px of the canvas being painted on

    def set_enabled(self, on: bool) -> None:
        self.enabled = bool(on)
        self.points = []
        self.changed.emit()

    def set_size(self, size: float) -> None:
        self.size = int(round(max(MIN_SIZE, min(MAX_SIZE, size))))
        self.changed.emit()

    def grow(self) -> None:
        self.set_size(max(self.size + 1, self.size * SIZE_STEP))

    def shrink(self) -> None:
        self.set_size(min(self.size - 1, self.size / SIZE_STEP))

    def set_value(self, value: float) -> None:
        self.value = value
        self.changed.emit()

    def cycle_value(self) -> None:
        order = [v for v, _ in VALUES]
        self.set_value(order[(order.index(self.value) + 1) % len(order)])

    @property
    def colour(self) -> QColor:
        return COLOURS[self.value]

    # strokes ----------------------------------------------------------------------------------------

    def press(self, point: QPointF, scale: float) -> None:
        self.scale = scale
        self.points = [(point.x(), point.y())]
        self.changed.emit()

    def move(self, point: QPointF) -> None:
        if self.points:
            self.points.append((point.x(), point.y()))
            self.changed.emit()

    def release(self, point: Optional[QPointF]) -> None:
        if not self.points:
            return
        if point is not None:
            self.points.append((point.x(), point.y()))
        refine = self.value == REFINE
        stroke = Stroke(tuple(self.points), self.size / 2.0 / self.scale, UNKNOWN if refine else self.value, refine)
        self.points = []
        self.changed.emit()
        self.commit(stroke)
