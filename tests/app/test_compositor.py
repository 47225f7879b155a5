"""The compositor tab: its preview follows the current image, takes the View menu's keys, and never shows a
colour in place of a missing background image."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtGui import QAction

from matting_studio.session import BackgroundMode, MethodResult


def wait_for_main_result(qtbot, window, timeout=180000):
    with qtbot.waitSignal(window.matting.result_ready, timeout=timeout,
                          check_params_cb=lambda m: m == window.matting.main_method):
        pass


def test_the_preview_is_fitted_to_each_new_image_and_takes_f_and_1(window, qtbot, photo_files):
    compositor = window.compositor
    window.set_panes({"input", "trimap", "alpha"})
    with qtbot.waitSignal(window.matting.result_ready, timeout=180000, check_params_cb=lambda m: m == "cf"):
        window.add_paths(list(photo_files))
    qtbot.waitUntil(lambda: compositor.preview.array is not None, timeout=120000)
    window.tabs.setCurrentWidget(compositor)
    one_to_one = next(a for a in window.findChildren(QAction) if a.text() == "1:1")
    fit = next(a for a in window.findChildren(QAction) if a.text() == "Fit")
    one_to_one.trigger()
    assert compositor.view.scale == 1.0 and window.matting.view.scale is None
    fit.trigger()
    assert compositor.view.scale is None
    compositor.view.set(3.0, QPointF(5, 5))  # zoomed into the first image
    with qtbot.waitSignal(window.matting.result_ready, timeout=180000, check_params_cb=lambda m: m == "cf"):
        window.filmstrip.setCurrentRow(1)
    qtbot.waitUntil(lambda: compositor.preview.array is not None and compositor.preview.array.shape[0] == 80,
                    timeout=120000)
    assert compositor.view.scale is None


def test_the_preview_never_shows_the_previous_image(gated_window, qtbot, photo_files):
    window = gated_window
    compositor = window.compositor
    window.set_panes({"input", "trimap", "alpha"})
    window.pipeline.gate.set()
    with qtbot.waitSignal(window.matting.result_ready, timeout=180000, check_params_cb=lambda m: m == "cf"):
        window.add_paths(list(photo_files))
    qtbot.waitUntil(lambda: compositor.preview.array is not None, timeout=120000)
    window.pipeline.gate.clear()  # the second image's methods keep running
    window.filmstrip.setCurrentRow(1)
    assert compositor.preview.array is None and compositor.alpha is None
    assert "Matting" in compositor.preview.canvas.message


def test_image_mode_without_an_image_says_so(window, qtbot, synthetic_composite):
    s = synthetic_composite
    compositor = window.compositor
    session = window.matting.load(s["image"], trimap=s["trimap"])
    session.results["cf"] = session.final = MethodResult("cf", s["alpha"], s["fg"], 0.1)  # as if solved
    window.matting._rerun.stop()
    compositor.set_subject(s["image"], s["alpha"], s["fg"])
    qtbot.waitUntil(lambda: compositor.preview.array is not None, timeout=120000)
    compositor.set_mode(BackgroundMode.IMAGE)
    compositor.refresh_now()
    assert compositor.preview.array is None
    assert "background image" in compositor.preview.canvas.message
    assert window.export("composite", window.settings.fileName() + ".png") is None
    assert "background image" in window.errors[-1]
