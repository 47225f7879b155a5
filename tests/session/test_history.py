"""The edit history: snapshots, labels, a redo branch dropped by a new edit."""

from __future__ import annotations

from matting_studio.core.trimap import Stroke
from matting_studio.session import Band, Edit, EditHistory


def test_undo_redo_and_labels():
    history = EditHistory()
    assert not history.can_undo and history.undo_label == "" and history.current == Edit()
    a = Edit((Stroke(((1, 1),), 2.0, 1.0),), Band(3, 3))
    history.push(a, "brush stroke")
    history.push(Edit(a.strokes, Band(3, 9)), "band 3/9 px")
    assert history.undo_label == "band 3/9 px"
    assert history.undo() and history.current == a and history.redo_label == "band 3/9 px"
    history.push(Edit((), Band(1, 1)), "band 1/1 px")
    assert not history.can_redo and len(history.entries) == 3
    history.reset(a)
    assert history.current == a and not history.can_undo and not history.can_redo
