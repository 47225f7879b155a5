"""The window remembers its geometry, visible panes and recent files across sessions (one settings file)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings  # noqa: E402

from matting_studio.app.window_settings import DEFAULT_SIZE, MAX_RECENT, WindowSettings  # noqa: E402


def ini(path) -> QSettings:
    return QSettings(str(path), QSettings.Format.IniFormat)


def test_recent_files_newest_first_once_and_at_most_max(tmp_path):
    store = WindowSettings(ini(tmp_path / "s.ini"))
    assert store.recent_files() == [] and store.panes() is None
    store.add_recent(tmp_path / "a.png")  # a single entry survives the INI round trip as a list
    assert WindowSettings(ini(tmp_path / "s.ini")).recent_files() == [str(tmp_path / "a.png")]
    for i in range(MAX_RECENT + 3):
        store.add_recent(tmp_path / f"{i}.png")
    store.add_recent(tmp_path / "5.png")
    recent = WindowSettings(ini(tmp_path / "s.ini")).recent_files()
    assert len(recent) == MAX_RECENT and recent[0] == str(tmp_path / "5.png") and recent.count(recent[0]) == 1
    assert recent[1] == str(tmp_path / f"{MAX_RECENT + 2}.png")


def test_panes_round_trip_including_none_visible(tmp_path):
    store = WindowSettings(ini(tmp_path / "s.ini"))
    store.set_panes({"alpha", "input"})
    assert WindowSettings(ini(tmp_path / "s.ini")).panes() == {"alpha", "input"}
    store.set_panes(set())
    assert WindowSettings(ini(tmp_path / "s.ini")).panes() == set()


def test_a_new_window_gets_the_last_ones_geometry_panes_and_recent_files(qtbot, tmp_path, composite_files):
    from matting_studio.app.main_window import MainWindow
    from matting_studio.engine.pipeline import Pipeline

    def window():
        win = MainWindow(settings=ini(tmp_path / "s.ini"), pipeline=Pipeline(segmenter="object", method="cf"))
        qtbot.addWidget(win)
        return win

    first = window()
    assert (first.width(), first.height()) == DEFAULT_SIZE  # nothing saved yet
    first.show()
    first.setMinimumSize(400, 300)  # the panes ask for 934 px, wider than the offscreen screen (800×800)
    first.setGeometry(40, 30, 700, 500)
    first.pane_actions["knn"].setChecked(False)
    first.pane_actions["rw"].setChecked(False)
    first.add_paths([composite_files])
    qtbot.waitUntil(lambda: first.current == composite_files)
    first.close()
    assert first.matting.pool.waitForDone(30000)

    second = window()
    assert second.geometry().getRect() == (40, 30, 700, 500)
    assert not second.pane_actions["knn"].isChecked() and "knn" not in second.matting.visible
    assert "rw" not in second.matting.visible and "alpha" in second.matting.visible
    assert [a.text() for a in second.recent_menu.actions()] == [str(composite_files.resolve())]
    second.close()
    assert second.matting.pool.waitForDone(30000)
