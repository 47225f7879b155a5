"""Screenshots of every tab of the real window, for looking at the app as a user does.

    python tools/screenshots.py OUT_DIR [IMAGE ...]

Starts Xvfb (when no DISPLAY is set and Xvfb is installed; else Qt's offscreen platform), opens the window on
the sample image (or the given images), waits for the methods, and saves ``matting.png``, ``compositor.png``,
``training.png`` (``QWidget.grab``) and ``screen.png`` (an X screen capture with ``xwd`` when available).
``SCREENSHOT_WAIT`` (seconds, default 120) is how long it waits for the methods (longer on a loaded machine).

Then ``editing.png`` (and ``editing-screen.png``) shows the editor's tools on the first image: the refine-edge
brush's stroke along the top of the subject (``EDIT_STROKE``, in the sample's pixels), the trimap overlay on the
photo, a feathered edge, 70 % decontamination, the checkerboard cut-out view, and the panes zoomed 2× with the
navigator.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _start_display() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY") or not shutil.which("Xvfb"):
        if not os.environ.get("DISPLAY"):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return None
    proc = subprocess.Popen(["Xvfb", ":97", "-screen", "0", "1600x1000x24"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.environ["DISPLAY"] = ":97"
    time.sleep(1.0)
    return proc


EDIT_STROKE = ((160, 62), (172, 34), (205, 16), (250, 16), (284, 34), (299, 68), (298, 110))  # the sample's hair


def _wait(app, seconds: float, done=lambda: False) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline and not done():
        app.processEvents()
        time.sleep(0.02)


def _screen(path: Path) -> None:
    if shutil.which("xwd") and shutil.which("convert") and os.environ.get("DISPLAY"):
        raw = subprocess.run(["xwd", "-root", "-silent"], capture_output=True).stdout
        if raw:
            subprocess.run(["convert", "xwd:-", str(path)], input=raw)
            print(path)
    elif os.environ.get("DISPLAY"):
        print(f"{path.name} skipped: no xwd (Debian package x11-apps) or convert (imagemagick)", file=sys.stderr)


def _editing(app, window, out: Path, wait: float) -> None:
    """The editor's tools in use (see the module docstring)."""
    from PySide6.QtCore import QPointF

    from matting_studio.core.trimap import UNKNOWN, Stroke
    from matting_studio.session import CutoutView

    matting = window.matting
    window.tabs.setCurrentIndex(0)
    matting.brush_on.setChecked(True)
    matting.overlay.setValue(60)
    before = matting.final_result()
    matting.session.add_stroke(Stroke(EDIT_STROKE, 14.0, UNKNOWN, refine=True))
    matting.edge_spins["feather"].setValue(1.5)
    matting.decontamination.setValue(70)
    matting.cutout_view.setCurrentIndex(matting.cutout_view.findData(CutoutView.CHECKERBOARD))
    _wait(app, wait, lambda: matting.final_result() is not None and matting.final_result() is not before
          and matting.session.edge.feather == 1.5 and matting.session.decontamination == 0.7)
    matting.view.set(2.0, QPointF(230, 90))
    _wait(app, 1.0)
    window.grab().save(str(out / "editing.png"))
    print(out / "editing.png")
    _screen(out / "editing-screen.png")


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    xvfb = _start_display()
    try:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from matting_studio.app.main import sample_image, window_pipeline
        from matting_studio.app.main_window import MainWindow

        app = QApplication(sys.argv[:1])
        settings = QSettings(str(out / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, pipeline=window_pipeline())
        window.resize(1560, 960)
        window.move(0, 0)
        window.show()
        images = [Path(p) for p in sys.argv[2:]] or [sample_image()]
        window.add_paths(images)
        wait = float(os.environ.get("SCREENSHOT_WAIT", 120))
        wanted = {m for m in window.matting.methods if m in window.matting.visible} | {window.matting.main_method}
        _wait(app, wait, lambda: wanted <= set(window.matting.results))
        for index, name in enumerate(("matting", "compositor", "training")):
            window.tabs.setCurrentIndex(index)
            _wait(app, 0.4)
            window.grab().save(str(out / f"{name}.png"))
            print(out / f"{name}.png")
            if index == 0:
                _screen(out / "screen.png")
        _editing(app, window, out, wait)
        window.close()
    finally:
        if xvfb is not None:
            xvfb.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
