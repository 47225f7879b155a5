"""Zoom and pan shared by every pane (one object, many views)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, Signal


class ViewState(QObject):
    """``scale`` (screen px per image px, or None = fit) and ``center`` (image coordinates)."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.scale: float | None = None
        self.center = QPointF(0, 0)

    def fit(self) -> None:
        self.scale = None
        self.changed.emit()

    def one_to_one(self) -> None:
        self.scale = 1.0
        self.changed.emit()

    def set(self, scale: float, center: QPointF) -> None:
        self.scale = max(0.02, min(64.0, scale))
        self.center = QPointF(center)
        self.changed.emit()
