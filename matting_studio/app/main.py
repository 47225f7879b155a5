"""Start the GUI: ``run(paths)`` (called by ``matting-studio`` with no sub-command)."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path


def sample_image() -> Path | None:
    """The public-domain sample shipped in ``resources/samples`` (None if absent)."""
    here = Path(__file__).resolve().parents[2] / "resources" / "samples" / "nasa_astronaut_sample.png"
    if here.is_file():
        return here
    try:
        candidate = resources.files("matting_studio").joinpath("resources/samples/nasa_astronaut_sample.png")
        return Path(str(candidate)) if candidate.is_file() else None
    except (ModuleNotFoundError, FileNotFoundError):
        return None


def window_pipeline():
    """The window's engine: automatic mode, classical methods in fast mode and in child processes, and this
    process kept free of pymatting (``classical.child_pool``: the event loop never waits on their GIL)."""
    from matting_studio.classical import pymatting_warmup
    from matting_studio.classical.child_pool import shared_pool
    from matting_studio.engine.pipeline import Pipeline

    pymatting_warmup.keep_out_of_process()
    shared_pool().prestart()
    return Pipeline(fast=True, classical_in_child=True)


def run(paths: list[str]) -> int:
    import os

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                                                 or os.environ.get("QT_QPA_PLATFORM")):
        print("matting-studio: no display to open the window on; use a sub-command (see --help) or run it "
              "in a desktop session.", file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QApplication

    from matting_studio.app.app_icon import app_icon
    from matting_studio.app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Matting Studio")
    app.setOrganizationName("MattingStudio")
    app.setDesktopFileName("matting-studio")  # matches resources/matting-studio.desktop (Wayland, task bars)
    app.setWindowIcon(app_icon())
    window = MainWindow(pipeline=window_pipeline())
    window.show()
    targets = [Path(p) for p in paths] or ([sample_image()] if sample_image() else [])
    if targets:
        window.add_paths(targets)
    return app.exec()
