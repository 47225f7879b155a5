"""Atomic file writes: a temporary file in the destination folder, fsynced, then renamed onto the name.

Readers see the old file or the whole new one, never a part, and after a power loss the new file is either
absent or complete. Temporary files are named ``.NAME.PID-RANDOM.tmp`` after the process that writes them, so
the next run can tell those of a killed process (:func:`remove_stale_temps`) from those being written now.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import BinaryIO, Callable

from matting_studio.core.errors import OutputExistsError

TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.tmp$")
STALE_AGE_S = 24 * 3600  # where a process cannot be looked up (Windows), a temporary file this old is stale


def temp_path(path: Path) -> Path:
    """A fresh temporary name next to ``path`` (not created)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _open_temp(path: Path) -> tuple[int, Path]:
    """Create an exclusive temporary file next to ``path``; permissions from the umask, like any output."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = temp_path(path)
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue


def exists_message(path: Path) -> str:
    return f"'{path}' already exists; use --force (or choose overwrite) to replace it."


def _publish(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move the finished ``tmp`` to ``path``; without ``overwrite`` never replaces a file that appeared meanwhile."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic and fails if path exists
    except FileExistsError:
        raise OutputExistsError(exists_message(path)) from None
    except OSError:  # a file system without hard links
        if os.path.lexists(path):
            raise OutputExistsError(exists_message(path)) from None
        os.replace(tmp, path)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[BinaryIO], None], *, overwrite: bool = True) -> Path:
    """Create ``path`` from ``write(handle)`` atomically: temp file, flush + fsync, rename, fsync the folder.

    Without ``overwrite`` an existing ``path`` raises :class:`OutputExistsError` and is left alone. On any
    failure (``OSError`` from the file system, or whatever ``write`` raises) the temporary file is removed
    and the error propagates; an existing ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _open_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        _publish(tmp, path, overwrite)
        _fsync_folder(path.parent)
    finally:
        tmp.unlink(missing_ok=True)  # gone already after a rename; the temp (or the leftover link) otherwise
    return path


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda handle: handle.write(data), overwrite=overwrite)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: existence check only (POSIX)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return True
    return True


def is_stale_temp(path: Path) -> bool:
    """True for a temporary file of ours whose writer is gone (killed mid-write)."""
    match = TEMP_NAME.match(path.name)
    if match is None or not path.is_file():
        return False
    if os.name == "nt":  # os.kill would terminate the process there: go by age instead
        import time

        return time.time() - path.stat().st_mtime > STALE_AGE_S
    return not _process_alive(int(match["pid"]))


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete the temporary files killed writers left in ``folder``; returns what was removed."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:  # missing or unreadable: nothing of ours to clean
        return removed
    for entry in entries:
        if entry.name.startswith(".") and is_stale_temp(entry):
            try:
                entry.unlink()
                removed.append(entry)
            except OSError:
                pass
    return removed
