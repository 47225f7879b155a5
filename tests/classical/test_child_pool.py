"""The classical methods in child processes: same results as in-process, typed errors, prompt cancel, dead
children reported."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from matting_studio import classical
from matting_studio.classical import child_pool
from matting_studio.classical.child_pool import ChildPool
from matting_studio.core.errors import Cancelled, MethodError, TrimapError
from matting_studio.core.progress import CancelToken

REPO = Path(__file__).resolve().parents[2]


def _scene(h=120, w=160, seed=0):
    rng = np.random.default_rng(seed)
    image = rng.random((h, w, 3)).astype(np.float32)
    trimap = np.zeros((h, w), np.float32)
    trimap[20:100, 30:130] = 0.5
    trimap[45:75, 60:100] = 1.0
    return image, trimap


@pytest.fixture(scope="module")
def pool():
    made = ChildPool()
    yield made
    made.close()


@pytest.mark.parametrize("method", ["cf", "knn", "rw"])
def test_a_child_gives_the_in_process_result_and_its_progress(pool, method):
    image, trimap = _scene()
    seen = []
    alpha, fg = pool.matte(method, image, trimap, fast=True, progress=lambda f, m: seen.append(f))
    want_alpha, want_fg = classical.matte(method, image, trimap, fast=True)
    np.testing.assert_allclose(alpha, want_alpha, atol=1e-4)
    np.testing.assert_allclose(fg, want_fg, atol=1e-4)
    assert alpha.dtype == np.float32 and fg.shape == image.shape
    assert seen and seen[-1] == 1.0


def test_a_childs_typed_error_is_raised_here_and_the_child_is_kept(pool):
    image, trimap = _scene()
    with pytest.raises(MethodError, match="Unknown matting method 'nope'"):
        pool.matte("nope", image, trimap, fast=True)
    before = pool.started
    with pytest.raises(TrimapError, match="no known foreground or background"):
        pool.matte("cf", image, np.full_like(trimap, 0.5), fast=True)  # the method's own check
    pool.matte("cf", image, trimap, fast=True)
    assert pool.started == before  # a failed method is not a failed child


def _watch_children(monkeypatch) -> list:
    """The children the pool hands out, in order."""
    taken = []
    real_take = ChildPool._take
    monkeypatch.setattr(ChildPool, "_take", lambda self: taken.append(real_take(self)) or taken[-1])
    return taken


def _long_scene():
    image, trimap = _scene(480, 640, seed=1)
    trimap[:] = 0.5
    trimap[:20], trimap[-20:] = 0.0, 1.0  # a huge unknown region: the plain solve runs for seconds
    return image, trimap


def test_cancel_stops_the_solve_in_the_child_which_serves_the_next_call(pool, monkeypatch):
    taken = _watch_children(monkeypatch)
    image, trimap = _long_scene()
    token = CancelToken()

    def progress(fraction, message):
        if message == "Solving":  # the conjugate gradients are under way
            token.cancel()

    with pytest.raises(Cancelled):
        pool.matte("rw", image, trimap, fast=False, progress=progress, cancel=token)
    assert taken[0].alive() and taken[0] in pool._idle
    small_image, small_trimap = _scene()
    alpha, _ = pool.matte("rw", small_image, small_trimap, fast=True)
    assert taken[1] is taken[0]  # the same child, and its answer is the next job's, not the cancelled one's
    np.testing.assert_allclose(alpha, classical.matte("rw", small_image, small_trimap, fast=True)[0], atol=1e-4)


def test_a_child_that_does_not_stop_in_time_is_killed(pool, monkeypatch):
    monkeypatch.setattr(child_pool, "CANCEL_GRACE_S", 0.0)  # as if it were deep inside a Laplacian's build
    taken = _watch_children(monkeypatch)
    image, trimap = _long_scene()
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    t0 = time.perf_counter()
    with pytest.raises(Cancelled):
        pool.matte("knn", image, trimap, fast=False, cancel=token)
    assert time.perf_counter() - t0 < 3.0
    assert not taken[0].alive() and taken[0] not in pool._idle
    small_image, small_trimap = _scene()
    pool.matte("knn", small_image, small_trimap, fast=True)  # served by another child
    assert taken[1] is not taken[0]


def test_a_child_that_dies_is_a_one_line_method_error(pool, monkeypatch):
    image, trimap = _scene()
    killed = []

    def send_then_die(self, job):
        real_send(self, job)
        self.process.kill()  # as the system's out-of-memory killer would
        killed.append(self)

    real_send = child_pool._Child.send
    monkeypatch.setattr(child_pool._Child, "send", send_then_die)
    with pytest.raises(MethodError, match="stopped unexpectedly"):
        pool.matte("cf", image, trimap, fast=True)
    monkeypatch.setattr(child_pool._Child, "send", real_send)
    assert killed and not killed[0].alive()
    pool.matte("cf", image, trimap, fast=True)  # the pool goes on with another child


def test_a_child_that_cannot_start_says_so(pool, monkeypatch):
    monkeypatch.setattr(child_pool, "child_command", lambda: ([sys.executable, "-c", "raise SystemExit(3)"], None))
    image, trimap = _scene()
    with pytest.raises(MethodError, match=r"could not start \(exit code 3\)"):
        ChildPool().matte("cf", image, trimap, fast=True)


def test_a_closed_pool_refuses_work():
    made = ChildPool()
    made.close()
    image, trimap = _scene()
    with pytest.raises(MethodError, match="shut down"):
        made.matte("cf", image, trimap, fast=True)


def test_a_frozen_app_starts_itself_as_the_child(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    argv, env = child_pool.child_command()
    assert argv == [sys.executable] and env[child_pool.CHILD_ENV] == "1"
    monkeypatch.delattr(sys, "frozen")
    launcher = REPO / "packaging" / "launcher.py"
    done = subprocess.run([sys.executable, str(launcher), "--version"], env=env, input=b"", capture_output=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout == b""  # it served (no job: end of input), not the app
