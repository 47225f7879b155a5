"""Plain-Python progress and cancellation, shared by the engine, the CLI and the Qt workers.

The engine takes ``progress`` (a callable ``(fraction, message) -> None``, fraction in [0, 1]) and
``cancel`` (a :class:`CancelToken`). Qt workers map their signals onto these; the engine never knows Qt.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

from matting_studio.core.errors import Cancelled

ProgressFn = Callable[[float, str], None]


class CancelToken:
    """Thread-safe cancellation flag. ``cancel()`` from any thread; work calls ``raise_if_cancelled()``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("Cancelled by the user.")


def check_cancel(cancel: Optional[CancelToken]) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set (``None`` means not cancellable)."""
    if cancel is not None:
        cancel.raise_if_cancelled()


def report(progress: Optional[ProgressFn], fraction: float, message: str = "") -> None:
    """Call ``progress`` if given, with ``fraction`` clamped to [0, 1]."""
    if progress is not None:
        progress(min(1.0, max(0.0, float(fraction))), message)


def sub_progress(progress: Optional[ProgressFn], start: float, end: float) -> Optional[ProgressFn]:
    """A progress callback mapping [0, 1] onto [start, end] of ``progress`` (for stages of a pipeline)."""
    if progress is None:
        return None

    def _sub(fraction: float, message: str = "") -> None:
        report(progress, start + (end - start) * min(1.0, max(0.0, fraction)), message)

    return _sub
