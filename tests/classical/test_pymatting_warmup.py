"""pymatting's background warm-up: concurrent warm-ups of one environment take turns instead of all compiling."""

from __future__ import annotations

import subprocess
import sys

import pytest

from matting_studio.classical import pymatting_warmup

fcntl = pytest.importorskip("fcntl")


def test_a_warm_up_child_waits_for_the_one_already_compiling(tmp_path):
    lock = tmp_path / "warm-up.lock"
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process's child is compiling
        child = subprocess.Popen([sys.executable, "-c", pymatting_warmup._CHILD, str(lock)])
        try:
            with pytest.raises(subprocess.TimeoutExpired):
                child.wait(timeout=2.0)  # it waits for the lock ...
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
    assert child.wait(timeout=300) == 0  # ... then imports (from the cache the first one made)


def test_the_lock_is_per_python_environment(monkeypatch):
    here = pymatting_warmup.lock_path()
    monkeypatch.setattr(sys, "prefix", "/some/other/venv")
    assert pymatting_warmup.lock_path() != here and here.parent == pymatting_warmup.lock_path().parent
