"""Background work for the GUI: a QRunnable that runs a plain function with ``progress`` and ``cancel``.

The function never knows Qt: it gets ``progress(fraction, message)`` and a ``CancelToken``. Results go back
through signals (numpy arrays / plain objects); exceptions become a one-line ``error`` message.

:class:`Jobs` owns a pool and keeps at most one *current* worker per key (a pane, an export). Superseding,
cancelling or clearing a key cancels its worker, and a worker that is no longer current is silenced: its
late signals (already queued on the GUI thread, or emitted before it notices the cancel) never reach a
handler, so a handler never sees a previous image's result or a widget that has since been deleted.
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Optional

import shiboken6

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from matting_studio.core.errors import Cancelled
from matting_studio.core.progress import CancelToken
from matting_studio.session.runner import user_message

__all__ = ["Jobs", "SessionRunner", "Worker", "user_message"]


WORKER_NICE = 5  # a worker thread's priority below the GUI thread's: on two busy cores the event loop still runs
_niced = threading.local()


def lower_thread_priority() -> None:
    """Lower the calling thread's scheduling priority by :data:`WORKER_NICE`, once per thread (Linux schedules
    threads one by one; elsewhere, or where it is refused, nothing changes)."""
    if getattr(_niced, "done", False):
        return
    _niced.done = True
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + WORKER_NICE)
        except OSError:
            pass


class WorkerSignals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    error = Signal(str)
    cancelled = Signal()


class Worker(QRunnable):
    """Runs ``fn(*args, progress=..., cancel=..., **kwargs)`` on the thread pool."""

    def __init__(self, fn: Callable, *args, **kwargs) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.token = CancelToken()
        self.signals = WorkerSignals()
        self.done = False  # set when run() has returned (or will never run)
        self.handlers: dict = {}  # set by Jobs.start; cleared when it reports or is discarded
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self.token.cancel()

    def release(self) -> None:
        """Drop the function and its inputs (images); the pool keeps its runnables until it is deleted."""
        self.fn, self.args, self.kwargs = None, (), {}

    def run(self) -> None:
        lower_thread_priority()
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
        finally:
            self.release()
            self.done = True


def start(worker: Worker, pool: QThreadPool | None = None) -> Worker:
    (pool or QThreadPool.globalInstance()).start(worker)
    return worker


Handler = Optional[Callable[..., None]]


class Jobs:
    """Keyed workers on a pool owned by ``owner``: ``current[key]`` is the worker whose signals are delivered.

    A worker stays current until it reports (``finished``, ``error`` or ``cancelled``), is replaced by
    :meth:`start` with the same key, or is dropped by :meth:`discard` / :meth:`discard_all`. Dropping cancels
    its token and takes it off the queue if it has not started; whatever it emits afterwards is ignored, as is
    everything once ``owner`` is deleted.
    """

    def __init__(self, owner: QObject, max_threads: int = 2) -> None:
        self.owner = owner
        self.pool = QThreadPool(owner)
        self.pool.setMaxThreadCount(max_threads)
        self.current: dict[str, Worker] = {}  # read-only for callers
        self._alive: list[Worker] = []  # every started worker until it is done: its signals must outlive run()

    def start(self, key: str, worker: Worker, *, progress: Handler = None, finished: Handler = None,
              error: Handler = None, cancelled: Handler = None) -> Worker:
        """Run ``worker`` as the current one for ``key`` (a previous worker for ``key`` is discarded)."""
        self.discard(key)
        token = worker.token  # the relays hold the token, not the worker: no reference cycle through Qt
        # The pool keeps its runnables (and so their signals' connections) until it is deleted: the handlers,
        # and whatever they hold (a whole image's session), are dropped once the worker reports or is discarded.
        handlers = worker.handlers = {"progress": progress, "finished": finished, "error": error,
                                      "cancelled": cancelled}

        def relay(name: str, final: bool):
            def slot(*args) -> None:
                w = self.current.get(key)
                if w is None or w.token is not token or not shiboken6.isValid(self.owner):
                    return  # superseded, cancelled by a newer load, or the owner is gone
                handler = handlers.get(name)
                if final:
                    del self.current[key]
                    handlers.clear()
                if handler is not None:
                    handler(*args)
            return slot

        worker.signals.progress.connect(relay("progress", False))
        worker.signals.finished.connect(relay("finished", True))
        worker.signals.error.connect(relay("error", True))
        worker.signals.cancelled.connect(relay("cancelled", True))
        self.current[key] = worker
        self._alive = [w for w in self._alive if not w.done] + [worker]
        self.pool.start(worker)
        return worker

    def cancel(self, key: str) -> bool:
        """User cancel: the worker stays current and reports ``cancelled`` (at once if it had not started)."""
        worker = self.current.get(key)
        if worker is None:
            return False
        worker.cancel()
        if self.pool.tryTake(worker):  # still queued: it will never run, so report for it
            worker.release()
            worker.done = True
            worker.signals.cancelled.emit()
        return True

    def discard(self, key: str) -> Optional[Worker]:
        """Cancel and silence the worker for ``key`` (returns it, or None)."""
        worker = self.current.pop(key, None)
        if worker is not None:
            worker.handlers.clear()  # silenced from now on: nothing it reports reaches a handler
            worker.cancel()
            if self.pool.tryTake(worker):
                worker.release()
                worker.done = True
        return worker

    def discard_all(self) -> list[str]:
        """Cancel and silence every worker; returns the keys that had one."""
        keys = list(self.current)
        for key in keys:
            self.discard(key)
        return keys

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Discard everything and wait (up to ``timeout_ms``) for running workers; True if the pool is idle."""
        self.discard_all()
        return self.pool.waitForDone(timeout_ms)


class SessionRunner:
    """A session's :class:`~matting_studio.session.runner.Runner` on :class:`Jobs`: each job is a
    :class:`Worker`, and its callbacks arrive on the GUI thread."""

    def __init__(self, jobs: Jobs) -> None:
        self.jobs = jobs

    def start(self, key, fn, *args, progress=None, finished=None, error=None, cancelled=None, **kwargs) -> None:
        self.jobs.start(key, Worker(fn, *args, **kwargs), progress=progress, finished=finished, error=error,
                        cancelled=cancelled)

    def cancel(self, key: str) -> bool:
        return self.jobs.cancel(key)

    def discard(self, key: str) -> bool:
        return self.jobs.discard(key) is not None
