"""Undo / redo of a session's edits. Each entry is a whole :class:`Edit` (strokes, band, edge adjustment,
decontamination amount), so
undoing is restoring a snapshot and no command can get out of step with the trimap or alpha it describes."""

from __future__ import annotations

from dataclasses import dataclass, field

from matting_studio.core.alpha_adjust import EdgeAdjust
from matting_studio.core.trimap import Stroke


@dataclass(frozen=True)
class Band:
    """Automatic trimap radii in px: ``erode`` (known foreground), ``dilate`` (known background)."""

    erode: int
    dilate: int


@dataclass(frozen=True)
class Edit:
    """The user's edits of one image: brush ``strokes`` (in order) over the ``band``'s trimap, the ``edge``
    adjustment of the main method's alpha, and the colour ``decontamination`` amount in [0, 1] of its cut-outs
    and composites (``core.compositing.decontaminate``)."""

    strokes: tuple[Stroke, ...] = ()
    band: Band | None = None
    edge: EdgeAdjust = EdgeAdjust()
    decontamination: float = 1.0

    @property
    def finish(self) -> tuple[EdgeAdjust, float]:
        """What turns the main result into the exported one: (edge adjustment, decontamination amount)."""
        return self.edge, self.decontamination

    @property
    def finish_is_identity(self) -> bool:
        return self.edge.is_identity and self.decontamination == 1.0


@dataclass
class _Entry:
    edit: Edit
    label: str  # what made this state, e.g. "brush stroke"


@dataclass
class EditHistory:
    """A linear history of :class:`Edit` snapshots; ``current`` is the one in force."""

    entries: list[_Entry] = field(default_factory=lambda: [_Entry(Edit(), "")])
    index: int = 0

    @property
    def current(self) -> Edit:
        return self.entries[self.index].edit

    def push(self, edit: Edit, label: str) -> None:
        """Make ``edit`` current; the redo branch is dropped."""
        del self.entries[self.index + 1:]
        self.entries.append(_Entry(edit, label))
        self.index += 1

    def reset(self, edit: Edit) -> None:
        """Replace the whole history by one state (a new base, e.g. a trimap loaded from a file)."""
        self.entries, self.index = [_Entry(edit, "")], 0

    @property
    def can_undo(self) -> bool:
        return self.index > 0

    @property
    def can_redo(self) -> bool:
        return self.index + 1 < len(self.entries)

    @property
    def undo_label(self) -> str:
        """What :meth:`undo` undoes ("" when nothing)."""
        return self.entries[self.index].label if self.can_undo else ""

    @property
    def redo_label(self) -> str:
        return self.entries[self.index + 1].label if self.can_redo else ""

    def undo(self) -> bool:
        if not self.can_undo:
            return False
        self.index -= 1
        return True

    def redo(self) -> bool:
        if not self.can_redo:
            return False
        self.index += 1
        return True
