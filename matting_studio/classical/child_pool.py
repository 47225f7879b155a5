"""The classical methods in child processes: :func:`shared_pool().matte(...) <ChildPool.matte>`.

The window runs its comparison panes (closed-form, KNN, Random Walk, …) here, so that pymatting is never imported
in its process: numba's kernels load with the GIL held, and the solvers hold it for long stretches, which stalls
the event loop for hundreds of milliseconds (``DEVELOPERS.md``). A call takes an idle child (or starts one), sends
it the image and trimap, and relays its progress; calls from several threads run side by side in separate
children. Cancel asks the child to stop (its solver checks between iterations) and keeps it for the next call;
a child that has not stopped within :data:`CANCEL_GRACE_S` (busy inside a Laplacian's build) is killed, and a
later call starts a new one. Each child is a fresh interpreter (``python -m matting_studio.classical.child_pool``; the frozen app starts
itself with :data:`CHILD_ENV` set), never a fork of the window, runs at a lower priority than the window, and
warms up pymatting as soon as it starts. Messages are pickles over the child's stdin and stdout.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import BinaryIO, Optional

import numpy as np

from matting_studio.core import errors
from matting_studio.core.errors import MethodError
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report

log = logging.getLogger(__name__)

CHILD_ENV = "MATTING_STUDIO_CLASSICAL_CHILD"  # set when the frozen app is started as a child (packaging/launcher.py)
POLL_S = 0.05  # how often a waiting call looks at its cancel token
PROGRESS_EVERY_S = 0.1  # a child sends at most this often (the last report always goes)
CHILD_NICE = 10  # the children yield to the window (its main result first) on a loaded machine
MAX_IDLE = 2  # idle children kept for the next calls (the window runs two comparison methods at a time)
CANCEL = ("cancel",)  # parent → child: stop the job under way
CANCEL_GRACE_S = 1.5  # a cancelled child that has not stopped by then (inside a Laplacian's build) is killed


def serve(jobs: BinaryIO, replies: BinaryIO) -> None:
    """A child's loop: pickles ``(method, image, trimap, fast)`` in; ``("progress", f, msg)`` … then ``("done",
    alpha, foreground)``, ``("cancelled",)`` or ``("error", kind, message, traceback)`` out. :data:`CANCEL` in
    cancels the job under way (the solver stops at its next check); ``None`` or end of input ends it."""
    import traceback

    from matting_studio import classical
    from matting_studio.classical import pymatting_warmup
    from matting_studio.core.errors import Cancelled
    from matting_studio.core.memory import release_freed_memory

    pymatting_warmup.warm_up()  # in the background: closed-form uses pymatting's kernels once it is ready
    todo: queue.Queue = queue.Queue()
    current: list[Optional[CancelToken]] = [None]  # the token of the job most recently received

    def read() -> None:
        """Jobs into ``todo`` (each with its token, made here, so a cancel right behind its job is never lost)."""
        try:
            while True:
                message = pickle.load(jobs)
                if message == CANCEL:
                    if current[0] is not None:
                        current[0].cancel()
                    continue
                if message is None:
                    break
                current[0] = CancelToken()
                todo.put((message, current[0]))
        except Exception:  # noqa: BLE001 - end of input, a closed or broken pipe: the parent is gone
            pass
        todo.put(None)

    threading.Thread(target=read, name="matting-studio-classical-jobs", daemon=True).start()

    def send(message) -> None:
        pickle.dump(message, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()

    while True:
        item = todo.get()
        if item is None:
            return
        (method, image, trimap, fast), token = item
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or fraction >= 1.0:
                last[0] = now
                send(("progress", float(fraction), str(message)))

        try:
            alpha, fg = classical.matte(method, image, trimap, fast=fast, progress=progress, cancel=token)
        except Cancelled:
            send(("cancelled",))
        except MemoryError:
            send(("error", "MemoryError", "", ""))
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller
            send(("error", type(exc).__name__, str(exc), traceback.format_exc()))
        else:
            send(("done", alpha, fg))
        del image, trimap
        alpha = fg = None
        release_freed_memory()  # an idle child keeps its base size, not its last solve's peak


def child_main() -> None:
    """The child process: the protocol on the original stdin / stdout; anything printed goes to stderr."""
    if hasattr(os, "nice"):
        os.nice(CHILD_NICE)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    # a stray print must not corrupt the replies: fd 1 goes to stderr (to nothing under a console-less launcher)
    err = sys.stderr.fileno() if sys.stderr is not None else os.open(os.devnull, os.O_WRONLY)
    os.dup2(err, sys.stdout.fileno())
    serve(sys.stdin.buffer, replies)


def child_command() -> tuple[list[str], dict]:
    """``(argv, env)`` of a child. A frozen app has no interpreter: it starts itself with :data:`CHILD_ENV` set."""
    if getattr(sys, "frozen", False):
        return [sys.executable], {**os.environ, CHILD_ENV: "1"}
    package_root = str(Path(__file__).resolve().parents[2])  # found even when the parent put it on sys.path itself
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
    return [sys.executable, "-m", "matting_studio.classical.child_pool"], {**os.environ, "PYTHONPATH": path}


class _Child:
    def __init__(self) -> None:
        argv, env = child_command()
        self.process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, name="matting-studio-classical-reader", daemon=True).start()

    def _read(self) -> None:
        """Every reply into :attr:`replies`; ``None`` when the child's output ends (it exited or was killed)."""
        try:
            while True:
                self.replies.put(pickle.load(self.process.stdout))
        except Exception:  # noqa: BLE001 - EOF, a broken pipe, a cut-off pickle: the child is gone
            self.replies.put(None)

    def send(self, job) -> None:
        pickle.dump(job, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, kill: bool = False) -> None:
        try:
            if kill:
                self.process.kill()
            else:
                self.send(None)
                self.process.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=2)


def _error_from_child(kind: str, message: str, trace: str, method: str) -> BaseException:
    """The child's failure as the parent would have raised it: the same typed error, or a one-line
    :class:`MethodError` for an unexpected one (its traceback goes to the log)."""
    if kind == "MemoryError":
        return MemoryError()
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, errors.MattingError):
        return cls(message)
    log.error("unexpected error in the %s child process\n%s", method, trace)
    return MethodError(f"Unexpected error in {method} ({kind}: {message}).")


def _child_died(child: _Child, method: str) -> MethodError:
    """The one-line error for a child that went away mid-call: killed (the system's out-of-memory killer sends
    a signal) or exited on its own (it could not start: a broken installation)."""
    try:
        code = child.process.wait(timeout=1)
    except subprocess.TimeoutExpired:
        code = None
    if code is not None and code > 0:
        return MethodError(f"The {method} solver's process could not start (exit code {code}); "
                           "reinstalling Matting Studio may help.")
    return MethodError(f"The {method} solver's process stopped unexpectedly (out of memory?); "
                       "try fast mode or a smaller image.")


class ChildPool:
    """Classical matting in child processes; thread-safe. See the module docstring."""

    def __init__(self, max_idle: int = MAX_IDLE) -> None:
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.max_idle = max_idle
        self.started = 0  # children started so far (what a test can inspect)

    def prestart(self, n: int = MAX_IDLE) -> None:
        """Start children now (they import and warm up while the window opens) instead of at the first call."""
        with self._lock:
            while not self._closed and len(self._idle) < min(n, self.max_idle):
                self._idle.append(self._new())

    def _new(self) -> _Child:
        self.started += 1
        return _Child()

    def _take(self) -> _Child:
        with self._lock:
            if self._closed:
                raise MethodError("The classical methods have been shut down.")
            while self._idle:
                child = self._idle.pop()
                if child.alive():
                    break
                child.stop(kill=True)
            else:
                child = self._new()
            self._busy.add(child)
            return child

    def _give_back(self, child: _Child, healthy: bool) -> None:
        with self._lock:
            self._busy.discard(child)
            keep = healthy and not self._closed and len(self._idle) < self.max_idle
            if keep:
                self._idle.append(child)
        if not keep:
            child.stop(kill=not healthy)

    def matte(self, method: str, image: np.ndarray, trimap: np.ndarray, *, fast: bool,
              progress: Optional[ProgressFn] = None,
              cancel: Optional[CancelToken] = None) -> tuple[np.ndarray, np.ndarray]:
        """:func:`matting_studio.classical.matte` in a child: ``(alpha (H, W), foreground (H, W, 3))`` float32.

        Raises what it would raise in this process (typed errors, ``MemoryError``); :class:`Cancelled` when
        ``cancel`` is set, within :data:`CANCEL_GRACE_S`; :class:`MethodError` when the child dies (killed by the
        system, out of memory)."""
        check_cancel(cancel)
        child, healthy = self._take(), False
        try:
            child.send((method, np.ascontiguousarray(image), np.ascontiguousarray(trimap), bool(fast)))
            while True:
                if cancel is not None and cancel.cancelled:
                    healthy = self._stop_job(child)
                    check_cancel(cancel)
                try:
                    message = child.replies.get(timeout=POLL_S)
                except queue.Empty:
                    continue
                if message is None:
                    raise EOFError
                if message[0] == "progress":
                    report(progress, message[1], message[2])
                elif message[0] == "done":
                    healthy = True
                    return message[1], message[2]
                else:
                    healthy = True  # the child itself is fine: it reported the method's failure
                    raise _error_from_child(*message[1:], method)
        except (EOFError, OSError):
            raise _child_died(child, method) from None
        finally:
            self._give_back(child, healthy)

    @staticmethod
    def _stop_job(child: _Child) -> bool:
        """Ask ``child`` to drop its job; True when it answered within :data:`CANCEL_GRACE_S` (it can be reused)."""
        try:
            child.send(CANCEL)
        except (OSError, ValueError):
            return False
        deadline = time.monotonic() + CANCEL_GRACE_S
        while time.monotonic() < deadline:
            try:
                message = child.replies.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if message is None:
                return False
            if message[0] != "progress":  # cancelled, or it finished (or failed) just before
                return True
        return False

    def close(self) -> None:
        """Stop every child (a running call then fails); later calls raise :class:`MethodError`."""
        with self._lock:
            self._closed = True
            children, self._idle = self._idle + list(self._busy), []
        for child in children:
            child.stop(kill=True)


_shared: Optional[ChildPool] = None
_shared_lock = threading.Lock()


def shared_pool() -> ChildPool:
    """The process's pool, made on first use and closed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ChildPool()
            atexit.register(_shared.close)
        return _shared


if __name__ == "__main__":
    child_main()
