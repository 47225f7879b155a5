"""The application icon (``matting_studio/resources/matting-studio.svg`` / ``.png``), read with
``importlib.resources`` so it is found in a source tree, an installed wheel and the frozen desktop build alike."""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QIcon, QPixmap

ICON_NAME = "matting-studio"  # also the .desktop entry's Icon= and the name the desktop install uses
ICON_FILES = (f"{ICON_NAME}.svg", f"{ICON_NAME}.png")


def icon_bytes() -> dict[str, bytes]:
    """The icon files that are present, by file name (``.svg`` scales; ``.png`` is 256×256)."""
    folder = resources.files("matting_studio") / "resources"
    return {name: (folder / name).read_bytes() for name in ICON_FILES if (folder / name).is_file()}


def app_icon() -> QIcon:
    """A QIcon holding every icon file that loads (an empty icon when none does, e.g. no SVG plug-in and no PNG)."""
    icon = QIcon()
    for name, data in icon_bytes().items():
        pixmap = QPixmap()
        if pixmap.loadFromData(data, name.rsplit(".", 1)[1].upper()):
            icon.addPixmap(pixmap)
    return icon
