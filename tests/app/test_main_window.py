"""The desktop application, driven with pytest-qt on the offscreen platform."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QWheelEvent

from matting_studio.core import imageio
from matting_studio.session import MethodResult


def wait_for_method(qtbot, window, method, timeout=60000):
    with qtbot.waitSignal(window.matting.result_ready, timeout=timeout,
                          check_params_cb=lambda m: m == method):
        pass


def test_title_and_default_panes(window):
    assert window.windowTitle().startswith("Matting Studio")
    assert {"input", "trimap", "alpha", "cf", "knn", "rw"} <= set(window.matting.panes)
    # the shipped learned pipeline has its panes; DLMN-G → SSRN is shown next to the classical methods
    assert {"dlmng", "ssrn"} <= set(window.matting.panes)
    assert {"ssrn", "cf", "knn", "rw"} <= window.matting.visible


def test_simulated_drop_opens_the_image(window, qtbot, composite_files):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(composite_files))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.filmstrip.count() == 1
    assert window.matting.panes["input"].array is not None
    # the dataset layout gives a ground truth and a trimap
    assert window.matting.gt_alpha is not None and window.matting.trimap is not None


def test_method_fills_its_pane_with_metrics(window, qtbot, composite_files, synthetic_composite):
    with qtbot.waitSignal(window.matting.result_ready, timeout=60000, check_params_cb=lambda m: m == "cf"):
        window.add_paths([composite_files])
    alpha = window.matting.panes["cf"].array
    assert alpha.shape == synthetic_composite["alpha"].shape
    assert np.abs(alpha - synthetic_composite["alpha"]).mean() < 0.05
    assert "SAD" in window.matting.panes["cf"].detail_label.text()
    assert "s" in window.matting.panes["cf"].detail_label.text()


def test_cancel_a_running_method(window, qtbot):
    rng = np.random.default_rng(0)
    image = rng.random((360, 480, 3)).astype(np.float32)  # noise: slow to solve
    trimap = np.full((360, 480), 0.5, np.float32)
    trimap[:20] = 0
    trimap[-20:] = 1
    window.matting.load(image, trimap=trimap)
    window.matting._rerun.stop()
    window.matting.session.run_methods(["knn"])
    worker = window.matting.workers["knn"]
    with qtbot.waitSignal(worker.signals.cancelled, timeout=60000):
        window.matting.cancel("knn")
    assert "Cancelled" in window.matting.panes["knn"].canvas.message
    assert window.matting.panes["knn"].array is None


def test_brush_stroke_then_undo(window, qtbot, composite_files, drag):
    window.add_paths([composite_files])
    before = window.matting.trimap.copy()
    window.matting.brush_on.setChecked(True)
    window.matting.brush_buttons[1.0].setChecked(True)  # FG
    canvas = window.matting.panes["trimap"].canvas
    drag(canvas, [(3, 3), (10, 4), (14, 5)])
    assert window.matting.trimap[4, 8] == 1.0 and before[4, 8] == 0.0
    window.matting.undo()
    assert np.array_equal(window.matting.trimap, before)
    window.matting.redo()
    assert window.matting.trimap[4, 8] == 1.0


def test_compositor_export_writes_the_expected_pixels(window, qtbot, tmp_path, synthetic_composite):
    from matting_studio.core.compositing import composite

    s = synthetic_composite
    session = window.matting.load(s["image"], trimap=s["trimap"])
    session.results["cf"] = session.final = MethodResult("cf", s["alpha"], s["fg"], 0.1)  # as if solved
    window.matting._rerun.stop()
    window.compositor.set_subject(s["image"], s["alpha"], s["fg"])
    window.compositor.set_color((0.0, 0.0, 1.0))
    out = window.export("composite", tmp_path / "comp.png", bits=16)
    written = imageio.load_image(out)
    expected = composite(s["fg"], s["alpha"], (0.0, 0.0, 1.0))
    assert written.bit_depth == 16
    assert np.abs(written.rgb - expected).max() < 1e-3
    # exporting again to the same file without confirmation is refused and the file is kept
    again = window.export("composite", out, bits=8)
    assert again is None and window.errors and "exists" in window.errors[-1]
    assert imageio.load_image(out).bit_depth == 16


def test_corrupt_file_shows_an_error_and_the_window_still_works(window, qtbot, tmp_path, composite_files):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    window.add_paths([bad])
    assert window.errors and "broken.png" in window.errors[-1]
    with qtbot.waitSignal(window.matting.result_ready, timeout=60000, check_params_cb=lambda m: m == "cf"):
        window.add_paths([composite_files])
    assert window.matting.panes["alpha"].array is not None


def test_panes_share_zoom_and_pan(window, qtbot, composite_files):
    window.add_paths([composite_files])
    a, b = window.matting.panes["input"].canvas, window.matting.panes["trimap"].canvas
    rect_before = b.image_rect()
    wheel = QWheelEvent(QPointF(a.width() / 2, a.height() / 2), QPointF(), QPoint(), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    a.wheelEvent(wheel)
    assert window.matting.view.scale is not None
    assert b.image_rect().width() > rect_before.width() * 1.4
    assert abs(a._scale_center()[0] - b._scale_center()[0]) < 1e-9
    window.matting.view.fit()
    assert b.image_rect() == rect_before


def test_auto_mode_segments_then_mattes(window, qtbot):
    yy, xx = np.mgrid[0:90, 0:120].astype(np.float32)
    alpha = np.clip((30 - np.hypot(yy - 45, xx - 60)) / 3 + 0.5, 0, 1)
    image = (alpha[..., None] * np.array([0.9, 0.2, 0.1]) + (1 - alpha[..., None]) * 0.85).astype(np.float32)
    with qtbot.waitSignal(window.matting.result_ready, timeout=60000, check_params_cb=lambda m: m == "cf"):
        window.matting.load(image)
    assert window.matting.soft_mask is not None
    assert set(np.unique(window.matting.trimap)) == {0.0, 0.5, 1.0}
    # changing the dilation recomputes the trimap but not the segmentation
    mask = window.matting.soft_mask
    window.matting.dilate.setValue(window.matting.dilate.value() + 4)
    assert window.matting.soft_mask is mask
    assert (window.matting.trimap == 0.5).sum() > 0


def test_training_tab_runs_steps_and_updates_the_curve(window, qtbot, tmp_path):
    from matting_studio.core import imageio as io

    rng = np.random.default_rng(0)
    data, bg = tmp_path / "data", tmp_path / "bg"
    yy, xx = np.mgrid[0:48, 0:48].astype(np.float32)
    for i in range(2):
        a = np.clip((14 - np.hypot(yy - 24, xx - 24 + i)) / 3 + 0.5, 0, 1).astype(np.float32)
        io.save_png(data / "image" / f"f{i}.png", a[..., None] * np.array([0.9, 0.3, 0.2]) + (1 - a[..., None]) * 0.1)
        io.save_png(data / "alpha" / f"f{i}.png", a)
        io.save_png(data / "fg" / f"f{i}.png", np.broadcast_to(np.array([0.9, 0.3, 0.2], np.float32), (48, 48, 3)))
    io.save_png(bg / "b.png", rng.random((60, 60, 3)).astype(np.float32))
    tab = window.training
    tab.data.setText(str(data))
    tab.backgrounds.setText(str(bg))
    tab.out.setText(str(tmp_path / "run"))
    tab.steps.setValue(4)
    tab.batch.setValue(2)
    tab.crop.setValue(32)
    tab.val_every.setValue(2)
    tab.start()
    assert tab.thread is not None
    qtbot.waitUntil(lambda: not tab.thread.isRunning(), timeout=120000)
    qtbot.waitUntil(lambda: "Finished" in tab.status.text(), timeout=10000)
    assert len(tab.curves.train) == 4 and len(tab.curves.val) == 2
    assert tab.last_checkpoint is not None and tab.last_checkpoint.is_file()
    # the thread's queued ``finished`` signal re-enables the buttons right after the last event
    qtbot.waitUntil(tab.use_button.isEnabled, timeout=10000)
    assert tab.start_button.isEnabled() and not tab.stop_button.isEnabled()


def test_batch_export_writes_every_image_without_overwriting(window, qtbot, tmp_path, synthetic_composite):
    folder = tmp_path / "in"
    for name in ("a", "b"):
        imageio.save_png(folder / f"{name}.png", synthetic_composite["image"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "a_cutout.png").write_bytes(b"keep")
    worker = window.start_batch_export(imageio.list_images(folder), out)
    with qtbot.waitSignal(worker.signals.finished, timeout=120000):
        pass
    names = sorted(p.name for p in out.iterdir())
    assert names == ["a_cutout-1.png", "a_cutout.png", "b_cutout.png"]
    assert (out / "a_cutout.png").read_bytes() == b"keep"
    assert imageio.load_image(out / "b_cutout.png").has_alpha


def test_training_tab_loads_a_recipe_and_builds_its_config_from_it(window, qtbot, tmp_path):
    import json

    tab = window.training
    assert tab.recipe.text().endswith("dlmng-lite.recipe.json")  # the shipped model's recipe, ready to load
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"steps": 123, "lr": 0.002, "crop": 96, "batch_size": 3, "ema": 0.9,
                                  "augmentation": {"palette": 0.5}, "pool_per_stem": 4}))
    tab.recipe.setText(str(recipe))
    assert tab.load_recipe()
    assert (tab.steps.value(), tab.batch.value(), tab.crop.value()) == (123, 3, 96) and abs(tab.lr.value() - 0.002) < 1e-9
    tab.backgrounds.setText(str(tmp_path))
    tab.out.setText(str(tmp_path / "run"))
    tab.data.setText(str(tmp_path))
    config = tab.config()
    assert config.ema == 0.9 and config.augment_config().palette == 0.5 and config.pool_dir == tmp_path / "run" / "pool"
    recipe.write_text("{broken")
    with qtbot.waitSignal(tab.error, timeout=5000) as blocker:
        assert not tab.load_recipe()
    assert "JSON" in blocker.args[0]


def test_a_file_that_fails_to_open_is_not_selected(window, qtbot, tmp_path, composite_files):
    window.add_paths([composite_files])
    shown = window.matting.image
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    window.add_paths([bad])
    assert window.errors and "broken.png" in window.errors[-1]
    current = window.filmstrip.currentItem()
    assert current is not None and current.text() == composite_files.name
    assert window.matting.image is shown and window.windowTitle().endswith(composite_files.name)
    failed = window.filmstrip.item(1)
    assert "broken.png" in failed.toolTip() and window.errors[-1] in failed.toolTip()


def test_the_edit_menu_names_what_undo_undoes(window, qtbot, composite_files, drag):
    window.add_paths([composite_files])
    assert window.undo_action.text() == "Undo" and not window.undo_action.isEnabled()
    window.matting.brush_on.setChecked(True)
    drag(window.matting.panes["trimap"].canvas, [(3, 3), (10, 4)])
    assert window.undo_action.text() == "Undo brush stroke" and window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert window.redo_action.text() == "Redo brush stroke" and window.undo_action.text() == "Undo"


def test_the_brush_tooltip_names_only_keys_that_work(window):
    tip = window.matting.brush_on.toolTip()
    assert "F/B/U" not in tip
    brush = window.matting.brush
    for action in window.brush_actions:
        key = action.shortcut().toString()
        assert key and f"{key}:" in tip
    toggle, smaller, larger, cycle = window.brush_actions
    on, size, value = window.matting.brush_on.isChecked(), brush.size, brush.value
    toggle.trigger()
    assert window.matting.brush_on.isChecked() != on and brush.enabled != on
    smaller.trigger()
    assert brush.size < size
    larger.trigger()
    larger.trigger()
    assert brush.size > size
    cycle.trigger()
    assert brush.value != value and window.matting.brush_buttons[brush.value].isChecked()


def test_portrait_thumbnails_fit_and_the_filmstrip_never_scrolls_sideways(window, qtbot, tmp_path, photo_files):
    landscape, portrait = photo_files
    paths = []
    for i in range(12):
        paths.append(imageio.save_png(tmp_path / "many" / f"p{i:02d}.png",
                                      imageio.load_image(portrait if i % 2 else landscape).rgb))
    window.add_paths(paths)
    strip = window.filmstrip
    qtbot.waitUntil(lambda: strip.horizontalScrollBar().maximum() == 0 and strip.verticalScrollBar().maximum() > 0,
                    timeout=60000)
    icon_size = strip.iconSize()
    item = strip.item(1)  # a portrait
    pixmap = item.icon().pixmap(icon_size)
    assert pixmap.height() == icon_size.height() and pixmap.width() < pixmap.height()
    rect = strip.visualItemRect(item)
    assert rect.height() >= icon_size.height() and rect.right() <= strip.viewport().width()


def test_the_status_bar_shows_the_current_images_timings(gated_window, qtbot, photo_files):
    window = gated_window
    window.set_panes({"input", "trimap", "alpha"})
    window.pipeline.gate.set()
    with qtbot.waitSignal(window.matting.result_ready, timeout=180000, check_params_cb=lambda m: m == "cf"):
        window.add_paths(list(photo_files))
    first = window.timing_label.text()
    assert "Closed-form" in first and first.endswith("s")
    window.pipeline.gate.clear()
    window.filmstrip.setCurrentRow(1)  # its methods are still running
    assert window.timing_label.text() == ""
    window.filmstrip.setCurrentRow(0)  # back: its own timings (more of its methods may have finished since)
    assert window.timing_label.text().startswith(first.split(",")[0])


def test_the_export_dialog_starts_in_the_last_export_folder(window, qtbot, composite_files, tmp_path):
    with qtbot.waitSignal(window.matting.result_ready, timeout=180000, check_params_cb=lambda m: m == "cf"):
        window.add_paths([composite_files])
    assert window.export_suggestion("alpha").parent == composite_files.parent  # nothing exported yet
    out = tmp_path / "exports"
    out.mkdir()
    assert window.export("cutout", out / "mine.png") is not None
    suggestion = window.export_suggestion("alpha")
    assert suggestion.parent == out and suggestion.name == "toy_alpha.png"


def test_an_image_s_strokes_band_and_method_survive_a_restart(make_window, qtbot, photo_files, drag):
    first = make_window()
    qtbot.addWidget(first)
    first.show()
    first.add_paths([photo_files[0]])
    matting = first.matting
    qtbot.waitUntil(lambda: matting.trimap is not None, timeout=120000)
    matting.brush_on.setChecked(True)
    matting.brush_buttons[1.0].setChecked(True)
    drag(matting.panes["trimap"].canvas, [(3, 3), (14, 5)])
    matting.dilate.setValue(matting.dilate.value() + 4)
    qtbot.waitUntil(lambda: matting.session.band.dilate == matting.dilate.value(), timeout=60000)
    band, strokes = matting.session.band, matting.session.strokes
    first.close()  # writes the edits not yet saved
    second = make_window()  # the next launch, same user data folder
    qtbot.addWidget(second)
    second.show()
    second.add_paths([photo_files[0]])
    qtbot.waitUntil(lambda: second.matting.trimap is not None, timeout=120000)
    session = second.matting.session
    assert session.band == band and session.strokes == strokes and session.history.can_undo
    assert second.matting.dilate.value() == band.dilate and second.matting.trimap[4, 8] == 1.0
    assert "1 stroke(s)" in second.matting.panes["trimap"].detail_label.text()


def test_an_image_dropped_from_memory_comes_back_with_its_edits(window, qtbot, tmp_path, synthetic_composite, drag):
    from matting_studio.app.matting_view import MAX_SESSIONS
    from matting_studio.core import imageio

    paths = []
    for i in range(MAX_SESSIONS + 2):
        paths.append(tmp_path / f"shot_{i}.png")
        imageio.save_png(paths[-1], np.clip(synthetic_composite["image"] + 0.01 * i, 0, 1))
    matting = window.matting
    window.add_paths(paths)
    qtbot.waitUntil(lambda: matting.trimap is not None, timeout=120000)
    matting.brush_on.setChecked(True)
    matting.brush_buttons[1.0].setChecked(True)
    drag(matting.panes["trimap"].canvas, [(3, 3), (14, 5)])
    strokes = matting.session.strokes
    for row in range(1, len(paths)):  # every other image, so the first leaves memory
        window.filmstrip.setCurrentRow(row)
        qtbot.waitUntil(lambda: matting.trimap is not None, timeout=120000)
    assert str(paths[0].resolve()) not in matting.sessions and len(matting.sessions) == MAX_SESSIONS
    window.filmstrip.setCurrentRow(0)
    qtbot.waitUntil(lambda: matting.trimap is not None, timeout=120000)
    assert matting.session.strokes == strokes and matting.trimap[4, 8] == 1.0
