"""Screenshots of every tab of the real window, for looking at the app as a user does.

    python tools/screenshots.py OUT_DIR [IMAGE ...]

Starts Xvfb (when no DISPLAY is set and Xvfb is installed; else Qt's offscreen platform), opens the window on
the sample image (or the given images), waits for the methods, and saves ``matting.png``, ``compositor.png``,
``training.png`` (``QWidget.grab``) and ``screen.png`` (an X screen capture with ``xwd`` when available).
``SCREENSHOT_WAIT`` (seconds, default 120) is how long it waits for the methods (longer on a loaded machine).
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

        from matting_studio.app.main import sample_image
        from matting_studio.app.main_window import MainWindow

        app = QApplication(sys.argv[:1])
        settings = QSettings(str(out / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        window.resize(1560, 960)
        window.move(0, 0)
        window.show()
        images = [Path(p) for p in sys.argv[2:]] or [sample_image()]
        window.add_paths(images)
        deadline = time.time() + float(os.environ.get("SCREENSHOT_WAIT", 120))
        wanted = {m for m in window.matting.methods if m in window.matting.visible} | {window.matting.main_method}
        while time.time() < deadline and not wanted <= set(window.matting.results):
            app.processEvents()
            time.sleep(0.05)
        for index, name in enumerate(("matting", "compositor", "training")):
            window.tabs.setCurrentIndex(index)
            for _ in range(20):
                app.processEvents()
                time.sleep(0.02)
            window.grab().save(str(out / f"{name}.png"))
            print(out / f"{name}.png")
            if index == 0 and shutil.which("xwd") and os.environ.get("DISPLAY"):
                raw = subprocess.run(["xwd", "-root", "-silent"], capture_output=True).stdout
                convert = shutil.which("convert")
                if convert and raw:
                    subprocess.run([convert, "xwd:-", str(out / "screen.png")], input=raw)
                    print(out / "screen.png")
            elif index == 0 and os.environ.get("DISPLAY"):
                print("screen.png skipped: no xwd (Debian package x11-apps)", file=sys.stderr)
        window.close()
    finally:
        if xvfb is not None:
            xvfb.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
