"""How a session runs its stages. The session hands a :class:`Runner` plain functions
``fn(*args, progress=, cancel=, **kwargs)`` under a key; the runner calls back ``finished(result)``,
``error(message)``, ``cancelled()`` and ``progress(fraction, message)`` on the session's thread.

:class:`ImmediateRunner` runs each function at once on the calling thread (headless use and tests); the app
runs them on a Qt thread pool (``app.workers.Jobs``) and delivers the callbacks on the GUI thread.
"""

from __future__ import annotations

import logging
import traceback
from typing import Callable, Optional, Protocol

from matting_studio.core.errors import Cancelled, MattingError
from matting_studio.core.progress import CancelToken

log = logging.getLogger(__name__)
Handler = Optional[Callable[..., None]]


def user_message(exc: BaseException) -> str:
    """A one-line message for the user (the full traceback of an unexpected error goes to the log)."""
    if isinstance(exc, MattingError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "Out of memory: try fast mode, fewer panes or a smaller image."
    log.error("unexpected error\n%s", "".join(traceback.format_exception(exc)))
    return f"Unexpected error ({type(exc).__name__}: {exc})."


class Runner(Protocol):
    def start(self, key: str, fn: Callable, *args, progress: Handler = None, finished: Handler = None,
              error: Handler = None, cancelled: Handler = None, **kwargs) -> None:
        """Run ``fn`` as the current job for ``key``; a previous job for ``key`` is cancelled and silenced."""

    def cancel(self, key: str) -> bool:
        """User cancel: the job reports ``cancelled``. False when no job runs under ``key``."""

    def discard(self, key: str) -> bool:
        """Cancel and silence the job for ``key``."""


class ImmediateRunner:
    """Runs every job synchronously in :meth:`start` (so nothing is ever left running)."""

    def __init__(self) -> None:
        self.started: list[str] = []  # keys, in order (what a headless test can inspect)

    def start(self, key, fn, *args, progress=None, finished=None, error=None, cancelled=None, **kwargs) -> None:
        self.started.append(key)
        token = CancelToken()
        try:
            result = fn(*args, progress=progress or (lambda f, m: None), cancel=token, **kwargs)
        except Cancelled:
            if cancelled:
                cancelled()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, as in the app
            if error:
                error(user_message(exc))
        else:
            if finished:
                finished(result)

    def cancel(self, key: str) -> bool:
        return False

    def discard(self, key: str) -> bool:
        return False
