"""The Video tab: opening a clip shows its frames and a composite preview; export runs in a worker."""

from __future__ import annotations

import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "video"))
from video_clips import decode, disc_frames, write_clip  # noqa: E402


def test_opening_a_clip_previews_a_frame_and_exports(window, qtbot, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", disc_frames(5, 96, 64))
    assert window.add_paths([clip]) == 0  # not an image for the filmstrip
    view = window.video
    assert window.tabs.currentWidget() is view and view.slider.maximum() == 4
    qtbot.waitUntil(lambda: view.preview_image is not None or bool(window.errors), timeout=120000)
    assert not window.errors
    assert view.preview_image.shape == (64, 96, 4)  # transparent by default: an RGBA cut-out
    view.backgrounds.setCurrentText("Green")
    qtbot.waitUntil(lambda: view.preview_image.shape == (64, 96, 3), timeout=120000)
    corner = view.preview_image[:4, :4].reshape(-1, 3).mean(axis=0)
    assert corner[1] > 0.6 and corner[0] < 0.1  # outside the fake segmenter's disc: the green background
    out = tmp_path / "out.mp4"
    with qtbot.waitSignal(view.exported, timeout=180000):
        view.export(out)
    assert len(decode(out)[0]) == 5 and not view.progress.isVisible()


def test_a_bad_clip_is_an_error_message(window, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"nope")
    window.add_paths([bad])
    assert window.errors and "not a readable video" in window.errors[-1]


def test_photos_selected_in_the_filmstrip_open_as_a_burst_and_export(window, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from matting_studio.core import imageio

    frames = disc_frames(4, 96, 64)
    photos = [imageio.save_png(tmp_path / f"selfie_{name}.png", frame) for name, frame in zip("dcba", frames)]
    assert window.add_paths(photos) == 4
    window.filmstrip.item(0).setSelected(True)
    assert window.open_selected_burst() is False and "two or more photos" in window.errors[-1]  # one is not a burst
    for row in (0, 1, 3):
        window.filmstrip.item(row).setSelected(True)
    window.filmstrip.item(2).setSelected(False)
    assert window.open_selected_burst()
    view = window.video
    assert window.tabs.currentWidget() is view and view.slider.maximum() == 2
    in_filmstrip = [Path(window.filmstrip.item(r).data(Qt.ItemDataRole.UserRole)) for r in range(4)]
    assert view.source.files == [in_filmstrip[r] for r in (0, 1, 3)]  # the selection, in filmstrip order
    qtbot.waitUntil(lambda: view.preview_image is not None or len(window.errors) > 1, timeout=120000)
    assert len(window.errors) == 1 and view.preview_image.shape == (64, 96, 4)
    out = tmp_path / "burst.webm"
    with qtbot.waitSignal(view.exported, timeout=180000):
        view.export(out)
    assert len(decode(out)[0]) == 3
