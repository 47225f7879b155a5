"""Trimap brush strokes with undo/redo (QUndoStack); the trimap is recomputed from base + strokes."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from matting_studio.core.trimap import Stroke


class AddStroke(QUndoCommand):
    def __init__(self, editor: "TrimapEditor", stroke: Stroke) -> None:
        super().__init__("Brush stroke")
        self.editor, self.stroke = editor, stroke

    def redo(self) -> None:
        self.editor.strokes.append(self.stroke)
        self.editor.changed()

    def undo(self) -> None:
        self.editor.strokes.remove(self.stroke)
        self.editor.changed()


class TrimapEditor:
    """Holds the user's strokes; ``on_change`` is called after every do/undo/redo."""

    def __init__(self, on_change) -> None:
        self.strokes: list[Stroke] = []
        self.stack = QUndoStack()
        self.on_change = on_change
        self._points: list[tuple[float, float]] = []

    def changed(self) -> None:
        self.on_change()

    def clear(self) -> None:
        self.stack.clear()
        self.strokes = []

    def begin(self, x: float, y: float) -> None:
        self._points = [(x, y)]

    def extend(self, x: float, y: float) -> None:
        if self._points:
            self._points.append((x, y))

    def finish(self, radius: float, value: float) -> None:
        if self._points:
            self.stack.push(AddStroke(self, Stroke(tuple(self._points), radius, value)))
        self._points = []
