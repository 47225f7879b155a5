"""Whether pymatting is ready to use without a long wait, and its warm-up in the background.

On a fresh install, importing pymatting compiles all its numba kernels (about 80 s on a 2-core CPU); afterwards
numba's on-disk cache makes the import take about a second. :func:`ready` is True once this process has imported
it. :func:`warm_up` (called by the first closed-form solve that had to do without it) compiles the cache in a low-
priority child process, so that neither the GUI thread nor the first result waits, then imports it here.
Children of several processes (a batch started beside the app, tests) take turns on a lock file per Python
environment: the first compiles, the others then find the cache and load it in a second, instead of each
compiling the same kernels at once.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Optional

_ready = threading.Event()
_started = threading.Lock()
_kept_out = threading.Event()  # set: this process never imports pymatting for closed-form (keep_out_of_process)
_thread: threading.Thread | None = None


WARM_UP_ENV = "MATTING_STUDIO_PYMATTING_WARM_UP"  # set (to the lock path) when the frozen app is started as the child


def compile_under_lock(lock: str) -> None:
    """The child's work: import pymatting (compiling its numba cache) while holding the environment's lock file
    (where ``fcntl`` exists), so that concurrent children take turns."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock; the children compile side by side
        fcntl = None
    with open(lock, "a") as held:
        if fcntl is not None:
            fcntl.flock(held, fcntl.LOCK_EX)
        import pymatting  # noqa: F401


def child_command(lock: Path) -> tuple[list[str], Optional[dict]]:
    """``(argv, env)`` of the warm-up child. A frozen app has no interpreter: it starts itself with
    :data:`WARM_UP_ENV` set, which its launcher checks first (``packaging/launcher.py``)."""
    if getattr(sys, "frozen", False):
        return [sys.executable], {**os.environ, WARM_UP_ENV: str(lock)}
    code = "import sys; from matting_studio.classical.pymatting_warmup import compile_under_lock as c; c(sys.argv[1])"
    return [sys.executable, "-c", code, str(lock)], None


def lock_path() -> Path:
    """The lock file of this Python environment's warm-up (its numba cache is per environment)."""
    key = hashlib.sha1(os.path.realpath(sys.prefix).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"matting-studio-pymatting-{key}.lock"


def ready() -> bool:
    return _ready.is_set()


def keep_out_of_process() -> None:
    """From now on this process solves closed-form with the numpy Laplacian and never warms pymatting up. For the
    window, whose comparison methods run in child processes (``classical.child_pool``): importing pymatting loads
    numba's kernels with the GIL held, a stall of the event loop. The learned methods' coarse closed-form cue then
    costs a few tens of milliseconds more."""
    _kept_out.set()



def load():
    """``import pymatting`` (blocking; compiles on a fresh install) and mark it ready."""
    import pymatting

    _ready.set()
    return pymatting


def _compile_then_load() -> None:
    argv, env = child_command(lock_path())
    try:
        subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False,
                       preexec_fn=(lambda: os.nice(10)) if hasattr(os, "nice") else None)
    except OSError:
        pass
    try:
        load()
    except Exception:  # noqa: BLE001 - the methods that need it report the error when they run
        pass


def wait_for_warm_up(cancel=None) -> None:
    """Wait while this process's warm-up runs (its child compiles under the environment's lock, then this process
    loads the cache), instead of compiling the same kernels here at the same time; raises ``Cancelled`` when
    ``cancel`` is set. Returns at once when no warm-up was started (the caller's import then compiles)."""
    from matting_studio.core.progress import check_cancel

    thread = _thread
    while thread is not None and thread.is_alive():
        check_cancel(cancel)
        thread.join(timeout=0.1)


def warm_up() -> None:
    """Start the background warm-up once per process (no-op when pymatting is ready or warming up)."""
    global _thread
    if _ready.is_set() or _kept_out.is_set() or not _started.acquire(blocking=False):
        return
    _thread = threading.Thread(target=_compile_then_load, name="pymatting-warm-up", daemon=True)
    _thread.start()
