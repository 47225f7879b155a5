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
        argv, env = pymatting_warmup.child_command(lock)
        child = subprocess.Popen(argv, env=env)
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


def test_a_frozen_app_starts_itself_as_the_child_and_its_launcher_only_warms_up(tmp_path, monkeypatch):
    from pathlib import Path

    lock = tmp_path / "warm-up.lock"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    argv, env = pymatting_warmup.child_command(lock)
    assert argv == [sys.executable] and env[pymatting_warmup.WARM_UP_ENV] == str(lock)
    monkeypatch.delattr(sys, "frozen")
    launcher = Path(__file__).resolve().parents[2] / "packaging" / "launcher.py"
    done = subprocess.run([sys.executable, str(launcher), "--version"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout == ""  # the warm-up ran, not the app (which prints its version)
    assert lock.exists()


def test_a_solve_waits_for_the_warm_up_under_way_and_can_be_cancelled_meanwhile(monkeypatch):
    import threading
    import time

    from matting_studio.core.errors import Cancelled
    from matting_studio.core.progress import CancelToken

    warming = threading.Thread(target=time.sleep, args=(0.4,))
    warming.start()
    monkeypatch.setattr(pymatting_warmup, "_thread", warming)
    t0 = time.perf_counter()
    pymatting_warmup.wait_for_warm_up()
    assert not warming.is_alive() and time.perf_counter() - t0 >= 0.3
    again = threading.Thread(target=time.sleep, args=(5.0,), daemon=True)
    again.start()
    monkeypatch.setattr(pymatting_warmup, "_thread", again)
    token = CancelToken()
    threading.Timer(0.2, token.cancel).start()
    t0 = time.perf_counter()
    with pytest.raises(Cancelled):
        pymatting_warmup.wait_for_warm_up(token)
    assert time.perf_counter() - t0 < 1.0
    monkeypatch.setattr(pymatting_warmup, "_thread", None)
    pymatting_warmup.wait_for_warm_up()  # no warm-up started: returns at once
