"""Atomic writes: fsync before the rename, no overwrite unless asked, normal permissions, and the temporary
files of a writer killed with SIGKILL removed by the next run (but never those of a live writer)."""

from __future__ import annotations

import os
import stat
import textwrap

import pytest

from matting_studio.core import atomic
from matting_studio.core.errors import OutputExistsError

# A child that starts an atomic write, reports, and waits to be killed mid-write.
KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from matting_studio.core.atomic import atomic_write

    def write(handle):
        handle.write(b"partial" * 100)
        handle.flush()
        print("writing", flush=True)
        time.sleep(120)

    atomic_write(Path(sys.argv[1]), write)
""")


def temps(folder):
    return sorted(p.name for p in folder.iterdir() if atomic.TEMP_NAME.match(p.name))


def test_fsync_comes_before_the_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    atomic.atomic_write_bytes(tmp_path / "f.bin", b"data")
    assert calls[:2] == ["fsync", "replace"]  # the data, then the rename (then the folder's fsync)
    assert (tmp_path / "f.bin").read_bytes() == b"data" and temps(tmp_path) == []


def test_outputs_get_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = atomic.atomic_write_bytes(tmp_path / "f.bin", b"data")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_no_overwrite_keeps_the_existing_file_and_a_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"keep")
    with pytest.raises(OutputExistsError):
        atomic.atomic_write_bytes(path, b"new", overwrite=False)

    def broken(handle):
        handle.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic.atomic_write(path, broken)
    assert path.read_bytes() == b"keep" and temps(tmp_path) == []


def test_a_killed_writer_leaves_the_old_file_and_its_temp_is_removed_next_time(tmp_path, kill_while_writing):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    pid = kill_while_writing(KILLED_WRITER, path)
    leftover = temps(tmp_path)
    assert path.read_bytes() == b"old" and len(leftover) == 1 and f".{pid}-" in leftover[0]

    live = atomic.temp_path(tmp_path / "other.bin")  # this process's own temp: being written, never removed
    live.write_bytes(b"in progress")
    removed = atomic.remove_stale_temps(tmp_path)
    assert [p.name for p in removed] == leftover
    assert temps(tmp_path) == [live.name] and path.read_bytes() == b"old"


def test_only_our_naming_counts_as_a_temp(tmp_path):
    for name in (".notes.txt", "x.123-abcdef12.tmp", ".x.png.abc.tmp", ".x.png.99999999-zzzzzzzz.tmp"):
        (tmp_path / name).write_bytes(b"user file")
    assert atomic.remove_stale_temps(tmp_path) == []
    assert len(list(tmp_path.iterdir())) == 4
