"""What the main window remembers between sessions, in ``QSettings``: its geometry, the visible panes and the
recent files (most recent first). The keys are those the window used before this module, so old settings load."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QSettings

GEOMETRY_KEY = "geometry"
PANES_KEY = "panes"
RECENT_KEY = "recent"
MAX_RECENT = 10
DEFAULT_SIZE = (1400, 900)


def _as_list(value) -> list[str]:
    """QSettings gives back a one-item list as a plain string and an empty one as None (INI format)."""
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


class WindowSettings:
    """Reads and writes the window's remembered state in ``settings`` (the window's own QSettings)."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    # -- geometry --------------------------------------------------------------------------------------

    def restore_geometry(self, window) -> bool:
        """Give ``window`` its saved geometry (else the default size); True when a saved one was applied."""
        saved = self.settings.value(GEOMETRY_KEY)
        if saved is not None and window.restoreGeometry(saved):
            return True
        window.resize(*DEFAULT_SIZE)
        return False

    def save_geometry(self, window) -> None:
        self.settings.setValue(GEOMETRY_KEY, window.saveGeometry())

    # -- panes -----------------------------------------------------------------------------------------

    def panes(self) -> Optional[set[str]]:
        """The pane keys that were visible, or None when nothing was saved (the window's defaults apply)."""
        saved = self.settings.value(PANES_KEY)
        if saved is None:
            return None
        return {k for k in ",".join(_as_list(saved)).split(",") if k}

    def set_panes(self, keys: set[str]) -> None:
        self.settings.setValue(PANES_KEY, ",".join(sorted(keys)))

    # -- recent files ----------------------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        return _as_list(self.settings.value(RECENT_KEY))[:MAX_RECENT]

    def add_recent(self, path: Path) -> list[str]:
        """Put ``path`` first (once) and keep the newest :data:`MAX_RECENT`; returns the new list."""
        entry = str(Path(path).resolve())
        recent = [entry] + [p for p in self.recent_files() if p != entry]
        self.settings.setValue(RECENT_KEY, recent[:MAX_RECENT])
        return recent[:MAX_RECENT]
