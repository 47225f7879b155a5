"""Workers outlive what they report to: a new image, a re-run or a closed window must cancel them, and their
late signals must neither reach deleted widgets nor show a previous image's result.

Qt-slot exceptions (e.g. ``RuntimeError: Internal C++ object ... already deleted``) are collected with
``qtbot.captureExceptions`` and asserted on explicitly, on top of pytest-qt's default capture.
"""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest
import shiboken6
from PySide6.QtWidgets import QApplication

from matting_studio.core.errors import Cancelled


@pytest.fixture(autouse=True)
def _qt_exception_capture_is_on(request):
    assert not request.config.getini("qt_no_exception_capture")
    assert request.node.get_closest_marker("qt_no_exception_capture") is None


def _old_image():
    """An image of another size than the synthetic composite, with a valid trimap."""
    rng = np.random.default_rng(7)
    image = rng.random((40, 52, 3)).astype(np.float32)
    trimap = np.full((40, 52), 0.5, np.float32)
    trimap[:8], trimap[-8:] = 0.0, 1.0
    return image, trimap


def _wait_until_every_pane_shows(qtbot, matting, shape, timeout=180000):
    def filled():
        wanted = [matting.main_method] + [m for m in matting.methods if m in matting.visible]
        return not matting.workers and all(
            matting.panes[k].array is not None and matting.panes[k].array.shape[:2] == shape
            for k in wanted + ["alpha", "foreground", "composite"])

    qtbot.waitUntil(filled, timeout=timeout)


def _fake_old_image_matting(matting, monkeypatch, old, fake):
    """Routes ``matte`` calls for ``old`` to ``fake(progress, cancel)`` (others run for real); returns the list
    that collects ``(method, alpha shape)`` of every result the view shows."""
    real_matte = matting.pipeline.matte

    def matte(image, trimap, *, progress=None, cancel=None, **kwargs):
        if image is not old:
            return real_matte(image, trimap, progress=progress, cancel=cancel, **kwargs)
        return fake(progress, cancel)

    monkeypatch.setattr(matting.pipeline, "matte", matte)
    shown = []
    matting.result_ready.connect(lambda m: shown.append((m, matting.results[m].alpha.shape)))
    return shown


def test_switching_images_while_methods_run_cancels_them_and_fills_the_new_panes(
        window, qtbot, monkeypatch, synthetic_composite):
    matting = window.matting
    window.set_panes(set(matting.panes))  # every method, learned ones included
    old, old_trimap = _old_image()
    tokens, release = [], threading.Event()

    def slow_old(progress, cancel):
        tokens.append(cancel)
        progress(0.1, "old image")
        release.wait(60)  # a long step that does not look at the token
        for _ in range(20):
            progress(0.5, "old image, late")
        return np.zeros(old.shape[:2], np.float32), old

    shown = _fake_old_image_matting(matting, monkeypatch, old, slow_old)
    s = synthetic_composite
    with qtbot.captureExceptions() as exceptions:
        matting.load(old, trimap=old_trimap)
        qtbot.waitUntil(lambda: len(tokens) == matting.pool.maxThreadCount(), timeout=30000)
        matting.load(s["image"], gt_alpha=s["alpha"], trimap=s["trimap"])  # while the old ones run
        assert all(t.cancelled for t in tokens)
        release.set()  # the old workers now emit progress and results for panes that moved on
        _wait_until_every_pane_shows(qtbot, matting, s["alpha"].shape)
    assert exceptions == []
    assert len(tokens) == matting.pool.maxThreadCount()  # the queued old workers never started
    assert shown and all(shape == s["alpha"].shape for _, shape in shown)
    assert np.abs(matting.panes["cf"].array - s["alpha"]).mean() < 0.05
    assert "SAD" in matting.panes["cf"].detail_label.text()
    assert not any(p.progress.isVisible() for p in matting.panes.values())


def test_results_finished_for_the_previous_image_are_dropped(window, qtbot, monkeypatch, synthetic_composite):
    matting = window.matting
    old, old_trimap = _old_image()

    def quick_old(progress, cancel):
        progress(0.5, "old image")
        return np.zeros(old.shape[:2], np.float32), old

    shown = _fake_old_image_matting(matting, monkeypatch, old, quick_old)
    s = synthetic_composite
    with qtbot.captureExceptions() as exceptions:
        matting.load(old, trimap=old_trimap)
        matting.run_methods()
        # the old results are emitted but still queued: the GUI thread has not returned to its event loop
        assert matting.pool.waitForDone(60000)
        matting.load(s["image"], gt_alpha=s["alpha"], trimap=s["trimap"])
        _wait_until_every_pane_shows(qtbot, matting, s["alpha"].shape)
    assert exceptions == []
    assert shown and all(shape == s["alpha"].shape for _, shape in shown)
    assert all(r.alpha.shape == s["alpha"].shape for r in matting.results.values())


def test_closing_the_window_while_methods_run_cancels_them_and_ignores_their_late_signals(
        make_window, qtbot, monkeypatch, synthetic_composite):
    win = make_window()  # not registered with qtbot: this test deletes it itself
    win.show()
    matting = win.matting
    tokens = []

    def matte(image, trimap, *, progress=None, cancel=None, **kwargs):
        tokens.append(cancel)
        progress(0.1, "working")
        deadline = time.monotonic() + 60
        while not cancel.cancelled and time.monotonic() < deadline:
            threading.Event().wait(0.005)  # an engine step between two looks at the token
        for _ in range(20):
            progress(0.9, "late")  # emitted after the cancel, delivered after the window is gone
        raise Cancelled("Cancelled by the user.")

    monkeypatch.setattr(matting.pipeline, "matte", matte)
    s = synthetic_composite
    with qtbot.captureExceptions() as exceptions:
        matting.load(s["image"], trimap=s["trimap"])
        qtbot.waitUntil(lambda: len(tokens) == matting.pool.maxThreadCount(), timeout=30000)
        workers = list(matting.workers.values())  # keep their signal objects (and queued signals) alive
        pane = matting.panes["cf"]
        win.close()
        assert all(t.cancelled for t in tokens)
        assert matting.pool.activeThreadCount() == 0 and not matting.workers
        shiboken6.delete(win)
        assert not shiboken6.isValid(pane.progress)
        QApplication.processEvents()  # the late progress / cancelled signals arrive now
    assert exceptions == []
    # one worker per visible method (cf, knn, rw, and ssrn with the shipped weights); the queued ones never started
    assert len(tokens) == 2 and len(workers) >= 3


def test_a_finished_worker_does_not_keep_its_handlers_alive(qtbot):
    """The pool keeps its runnables; their handlers (a whole image's session) must still be freed."""
    import gc
    import weakref

    from PySide6.QtCore import QObject

    from matting_studio.app.workers import Jobs, Worker

    class Holder:
        def done(self, result) -> None:
            self.result = result

    owner = QObject()
    jobs = Jobs(owner, max_threads=1)
    holder = Holder()
    alive = weakref.ref(holder)
    finished = []
    jobs.start("k", Worker(lambda *, progress, cancel: 42), finished=lambda r, h=holder: (h.done(r), finished.append(r)))
    qtbot.waitUntil(lambda: finished == [42], timeout=30000)
    discarded_holder = Holder()
    discarded = weakref.ref(discarded_holder)
    jobs.start("d", Worker(lambda *, progress, cancel: None),
               finished=discarded_holder.done)
    jobs.discard("d")
    del holder, discarded_holder
    assert jobs.pool.waitForDone(30000)
    gc.collect()
    assert alive() is None and discarded() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux schedules threads one by one")
def test_a_worker_thread_runs_below_the_gui_threads_priority_once_lowered():
    import os

    from matting_studio.app.workers import WORKER_NICE, lower_thread_priority

    seen = []

    def body():
        tid = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, tid)
        lower_thread_priority()
        lower_thread_priority()  # once per thread, not once per job
        seen.append((before, os.getpriority(os.PRIO_PROCESS, tid)))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    before, after = seen[0]
    assert after == min(19, before + WORKER_NICE)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # the calling thread is untouched
