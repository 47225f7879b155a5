"""GUI fixtures: a main window with private settings and a fast fake segmenter."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    from matting_studio.app.main_window import MainWindow
    from matting_studio.engine.pipeline import Pipeline

    pipeline = Pipeline(segmenter="object", method="cf", fast=True)
    # a fast, deterministic "segmenter": a centred disc (the real ones are tested in tests/engine)
    def fake_segment(image, *, progress=None, cancel=None):
        h, w = image.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w]
        return (np.hypot(yy - h / 2, xx - w / 2) < min(h, w) / 3).astype(np.float32)

    monkeypatch.setattr(pipeline, "segment", fake_segment)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, pipeline=pipeline)
    win.errors = []
    original = win.show_error
    monkeypatch.setattr(win, "show_error", lambda msg: (win.errors.append(msg), original(msg)))
    win.matting.error.disconnect()
    win.matting.error.connect(win.show_error)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.matting.cancel_all()
    win.matting.pool.waitForDone(10000)


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
