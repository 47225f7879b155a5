"""GUI fixtures: a main window with private settings and a fast fake segmenter."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from matting_studio.engine.pipeline import Pipeline  # noqa: E402


class DiscPipeline(Pipeline):
    """The real pipeline with a fast, deterministic "segmenter": a centred disc (the real segmenters are
    tested in tests/engine). Injected into the window, nothing patched."""

    def segment(self, image, *, progress=None, cancel=None):
        h, w = image.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w]
        return (np.hypot(yy - h / 2, xx - w / 2) < min(h, w) / 3).astype(np.float32)


@pytest.fixture
def make_window(tmp_path, monkeypatch):
    """A factory of main windows with private settings and a fast fake segmenter. Every window is closed at
    teardown and its thread pools must drain, so no worker (or its queued signals) leaks into the next test."""
    import shiboken6
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from matting_studio.app.main_window import MainWindow

    made = []

    def make():
        pipeline = DiscPipeline(segmenter="object", method="cf", fast=True)
        settings = QSettings(str(tmp_path / f"settings{len(made)}.ini"), QSettings.Format.IniFormat)
        win = MainWindow(settings=settings, pipeline=pipeline)
        win.errors = []
        original = win.show_error
        monkeypatch.setattr(win, "show_error", lambda msg: (win.errors.append(msg), original(msg)))
        win.matting.error.disconnect()
        win.matting.error.connect(win.show_error)
        made.append((win, [win.matting.pool, win.matting.stage_jobs.pool, win.compositor.jobs.pool, win.jobs.pool]))
        return win

    yield make
    for win, pools in made:
        if shiboken6.isValid(win):
            win.close()  # cancels every worker and silences its late signals
        for pool in pools:
            if shiboken6.isValid(pool):
                assert pool.waitForDone(30000), "a worker ignored its cancel token"
    QApplication.processEvents()  # deliver (and ignore) the signals the cancelled workers queued


@pytest.fixture
def window(qtbot, make_window):
    win = make_window()
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture
def composite_files(tmp_path, synthetic_composite):
    """Dataset layout image/ + alpha/ + trimap/ for the synthetic composite; returns the image path."""
    from matting_studio.core import imageio

    s = synthetic_composite
    root = tmp_path / "ds"
    imageio.save_png(root / "image" / "toy.png", s["image"])
    imageio.save_png(root / "alpha" / "toy.png", s["alpha"])
    imageio.save_png(root / "trimap" / "toy.png", s["trimap"])
    return root / "image" / "toy.png"
