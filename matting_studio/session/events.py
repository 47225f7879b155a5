"""Plain-Python events: a session emits :class:`SessionEvent` to its subscribers, on the thread its runner
reports on (the GUI thread in the app)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class SessionEvent:
    """``kind`` is one of :data:`KINDS`; ``key`` names the stage or method; ``fraction`` in [0, 1]."""

    kind: str
    key: str = ""
    fraction: float = 0.0
    message: str = ""


KINDS = (
    "soft_mask",  # the segmentation finished (key "soft")
    "trimap",  # the trimap (band + strokes) changed
    "history",  # undo / redo availability or labels changed
    "started",  # a stage or method started (key)
    "progress",  # fraction, message
    "result",  # a method's MethodResult is in session.results[key]
    "final",  # session.final (the main result, edge-adjusted) changed
    "failed",  # message
    "cancelled",
    "composite",  # session.composite_preview changed
    "method",  # the main method changed
)


class EventEmitter:
    """``connect(callback)``; ``emit(event)`` calls every callback in connection order."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[SessionEvent], None]] = []

    def connect(self, callback: Callable[[SessionEvent], None]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[SessionEvent], None]) -> None:
        self._callbacks = [c for c in self._callbacks if c != callback]

    def emit(self, event: SessionEvent) -> None:
        if event.kind not in KINDS:
            raise ValueError(f"unknown session event kind {event.kind!r}")
        for callback in list(self._callbacks):
            callback(event)
