"""GUI fixtures: a main window with private settings and a fast fake segmenter."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")

from disc_pipeline import DiscPipeline  # noqa: E402,F401 - a module of its own: tests import it too


@pytest.fixture
def make_window(tmp_path, monkeypatch):
    """A factory of main windows with private settings and a fast fake segmenter. Every window is closed at
    teardown and its thread pools must drain, so no worker (or its queued signals) leaks into the next test."""
    import shiboken6
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from matting_studio.app.main_window import MainWindow

    made = []

    def make(pipeline_class=None):
        pipeline = (pipeline_class or DiscPipeline)(segmenter="object", method="cf", fast=True)
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


class GatedPipeline(DiscPipeline):
    """Its methods report ``MESSAGE`` and then wait for ``gate`` (or their cancel token): a method that is
    still running when the test looks. Images in ``passthrough`` are matted for real."""

    MESSAGE = "Estimating foreground colours"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.gate = threading.Event()
        self.passthrough: list = []

    def matte(self, image, trimap, *, progress=None, cancel=None, **kwargs):
        if any(image is p for p in self.passthrough):
            return super().matte(image, trimap, progress=progress, cancel=cancel, **kwargs)
        progress(0.5, self.MESSAGE)
        while not self.gate.wait(0.01):
            cancel.raise_if_cancelled()
        return super().matte(image, trimap, progress=progress, cancel=cancel, **kwargs)


@pytest.fixture
def gated_window(qtbot, make_window):
    """A shown window whose methods wait for ``window.pipeline.gate`` (set at teardown)."""
    win = make_window(GatedPipeline)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.pipeline.gate.set()


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


@pytest.fixture
def drag(qtbot):
    """``drag(canvas, [(x, y), ...], button)``: press at the first image point, move through the others and
    release at the last, with real mouse events."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    def drag(canvas, image_points, button=Qt.MouseButton.LeftButton):
        screen = [canvas.to_screen(QPointF(x, y)).toPoint() for x, y in image_points]
        qtbot.mousePress(canvas, button, pos=screen[0])
        for p in screen[1:]:
            QApplication.sendEvent(canvas, QMouseEvent(QEvent.Type.MouseMove, QPointF(p), canvas.mapToGlobal(QPointF(p)),
                                                       Qt.MouseButton.NoButton, button, Qt.KeyboardModifier.NoModifier))
        qtbot.mouseRelease(canvas, button, pos=screen[-1])

    return drag


@pytest.fixture
def photo_files(tmp_path, synthetic_composite):
    """A landscape and a portrait photo (no dataset layout: the app segments them); returns both paths."""
    from matting_studio.core import imageio

    s = synthetic_composite
    landscape = imageio.save_png(tmp_path / "photos" / "landscape.png", s["image"])
    portrait = imageio.save_png(tmp_path / "photos" / "portrait.png", np.ascontiguousarray(s["image"].transpose(1, 0, 2)))
    return landscape, portrait
