"""Render the application icon ``matting_studio/resources/matting-studio.svg`` to the PNG beside it (256×256,
transparent corners), with Qt's SVG renderer: ``python tools/render_icon.py``."""

from __future__ import annotations

import sys
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parents[1] / "matting_studio" / "resources"
SIZE = 256


def render(svg: Path, png: Path, size: int = SIZE) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs it for fonts/painting
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    if not image.save(str(png)):
        raise SystemExit(f"could not write {png}")


if __name__ == "__main__":
    render(ICON_DIR / "matting-studio.svg", ICON_DIR / "matting-studio.png")
