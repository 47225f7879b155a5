"""Background work for the GUI: a QRunnable that runs a plain function with ``progress`` and ``cancel``.

The function never knows Qt: it gets ``progress(fraction, message)`` and a ``CancelToken``. Results go back
through signals (numpy arrays / plain objects); exceptions become a one-line ``error`` message.
"""

from __future__ import annotations

import logging
import traceback
from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from matting_studio.core.errors import Cancelled, MattingError
from matting_studio.core.progress import CancelToken

log = logging.getLogger(__name__)


class WorkerSignals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    error = Signal(str)
    cancelled = Signal()


def user_message(exc: BaseException) -> str:
    """A one-line message for the user (full traceback to the log)."""
    if isinstance(exc, MattingError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "Out of memory: try fast mode, fewer panes or a smaller image."
    log.error("unexpected error\n%s", "".join(traceback.format_exception(exc)))
    return f"Unexpected error ({type(exc).__name__}: {exc})."


class Worker(QRunnable):
    """Runs ``fn(*args, progress=..., cancel=..., **kwargs)`` on the thread pool."""

    def __init__(self, fn: Callable, *args, **kwargs) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.token = CancelToken()
        self.signals = WorkerSignals()
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:
        try:
            result = self.fn(*self.args, progress=self.signals.progress.emit, cancel=self.token, **self.kwargs)
        except Cancelled:
            self.signals.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a message
            self.signals.error.emit(user_message(exc))
        else:
            if self.token.cancelled:
                self.signals.cancelled.emit()
            else:
                self.signals.finished.emit(result)


def start(worker: Worker, pool: QThreadPool | None = None) -> Worker:
    (pool or QThreadPool.globalInstance()).start(worker)
    return worker
