"""The application icon loads from the package's resources (as the frozen build and a wheel have them)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QImage  # noqa: E402

from matting_studio.app.app_icon import ICON_FILES, app_icon, icon_bytes  # noqa: E402


def test_both_icon_files_load_and_the_png_is_256_with_transparent_corners(qapp):
    files = icon_bytes()
    assert set(files) == set(ICON_FILES)
    png = QImage.fromData(files["matting-studio.png"])
    assert (png.width(), png.height()) == (256, 256) and png.hasAlphaChannel()
    assert png.pixelColor(0, 0).alpha() == 0 and png.pixelColor(128, 128).alpha() == 255
    assert b"<svg" in files["matting-studio.svg"]


def test_app_icon_has_pixmaps(qapp):
    icon = app_icon()
    assert not icon.isNull()
    assert icon.pixmap(64, 64).width() == 64
