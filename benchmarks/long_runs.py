"""Memory over long runs: a 200-image CLI batch, and 200 images opened in the GUI one after another.

    python benchmarks/long_runs.py [--images 200] [--size 1920x1080] [--cycle 20] [--gui-only | --cli-only]

The photos are generated (a soft-edged subject on a textured background, a different one each time), written as
JPEGs to a temporary folder. CLI: ``matting-studio cutout FOLDER -o OUT`` in a child process whose resident
memory (``VmRSS``) is sampled every 0.2 s. GUI: a main window (offscreen) opens each image in turn and waits for
its main result. Both report the RSS after the first 10 % of the images and at the end: the growth between them
is what a leak would show (issue 20's target: flat, under 50 MB). The CLI's figure is the highest sample while
those images ran, so it also holds each image's working peak; its peak per tenth of the batch is printed too,
which tells a peak that settles after a warm-up from one that keeps growing. Photos differ in their own working
peak (the unknown band's size), so with distinct photos a tenth's peak is partly which photos it holds;
``--cycle 20`` makes the batch 20 photos over and over, so every tenth does the same work and only growth shows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_photos(folder: Path, n: int, size: tuple[int, int], cycle: int = 0) -> list[Path]:
    """``n`` different photos; with ``cycle``, photo ``i`` is a copy of photo ``i % cycle``, so that every tenth of
    the batch asks for the same work (photos differ in working peak by up to ~200 MB, more than the target)."""
    import cv2

    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    paths = []
    for i in range(n):
        rng = np.random.default_rng(i % cycle if cycle else i)
        cx, cy, r = w * rng.uniform(0.35, 0.65), h * rng.uniform(0.4, 0.6), min(w, h) * rng.uniform(0.2, 0.35)
        alpha = np.clip((r - np.hypot(xx - cx, yy - cy)) / 4 + 0.5, 0, 1)[..., None]
        bg = cv2.resize(rng.random((9, 16, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        image = alpha * rng.uniform(0.2, 0.9, 3).astype(np.float32) + (1 - alpha) * bg
        path = folder / f"photo_{i:04d}.jpg"
        cv2.imwrite(str(path), (np.clip(image, 0, 1)[..., ::-1] * 255).astype(np.uint8))
        paths.append(path)
    return paths


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        line = next(line for line in f if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024.0


def cli_batch(photos: list[Path], out: Path) -> dict:
    """RSS of the CLI batch over time, keyed by how many outputs exist."""
    # stderr goes to a file: a pipe nobody reads until the end would fill up with the progress bar and stall it
    log = tempfile.TemporaryFile()
    child = subprocess.Popen([sys.executable, "-m", "matting_studio", "cutout", str(photos[0].parent), "-o", str(out)],
                             stdout=subprocess.DEVNULL, stderr=log, cwd=str(REPO))
    samples = []  # (outputs written, rss)
    t0 = time.perf_counter()
    while child.poll() is None:
        try:
            samples.append((len(list(out.glob("*.png"))) if out.is_dir() else 0, _rss_mb(child.pid)))
        except (OSError, StopIteration):  # exiting: its status has no VmRSS any more
            pass
        time.sleep(0.2)
    seconds = time.perf_counter() - t0
    log.seek(0)
    stderr = log.read().decode(errors="replace")
    n = len(photos)
    step = max(1, n // 10)
    early = [rss for done, rss in samples if done <= step]
    late = [rss for done, rss in samples if done >= n - step]
    windows = [max((r for done, r in samples if k <= done < k + step), default=0.0) for k in range(0, n, step)]
    return {"images": n, "seconds": seconds, "ok": child.returncode == 0, "peak_mb": max(r for _, r in samples),
            "window_peaks_mb": windows,
            "after_first_10pc_mb": max(early) if early else None, "at_end_mb": max(late) if late else None,
            "stderr": _messages(stderr) + f" (exit code {child.returncode})"}


def _messages(stderr: str) -> str:
    """The child's stderr without its progress bar's updates (a failure's reason is otherwise scrolled away)."""
    lines = [line.strip() for line in stderr.replace("\r", "\n").splitlines()]
    return " / ".join(line for line in lines if line and not line.startswith("cutout:"))[-600:]


GUI_PROBE = r'''
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from matting_studio.app.main_window import MainWindow
app = QApplication(sys.argv[:1])
window = MainWindow(settings=QSettings(sys.argv[1], QSettings.Format.IniFormat))
window.set_panes({"input", "soft", "trimap", "alpha", "composite"})  # the main method only
window.show()
def rss():
    line = next(l for l in open("/proc/self/status") if l.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024.0
paths = [Path(p) for p in sys.argv[2:]]
marks = []
for i, path in enumerate(paths):
    window.open_image(path)
    deadline = time.time() + 120
    while time.time() < deadline and window.matting.final_result() is None:
        app.processEvents()
        time.sleep(0.005)
    marks.append(rss())
    print(json.dumps(marks[-1]), flush=True)  # as it goes: a crash still leaves the figures
window.close()
print("closed", flush=True)
'''


def gui_sequence(photos: list[Path], settings: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", GUI_PROBE, str(settings), *map(str, photos)], capture_output=True,
                          text=True, env=env, cwd=str(REPO))
    seconds = time.perf_counter() - t0
    lines = done.stdout.strip().splitlines()
    marks = [float(line) for line in lines if line != "closed"]
    if len(marks) < len(photos):
        return {"ok": False, "stderr": f"stopped after {len(marks)} images: {done.stderr[-400:]}"}
    n = len(marks)
    return {"images": n, "seconds": seconds, "ok": True, "after_first_10pc_mb": marks[max(0, n // 10 - 1)],
            "at_end_mb": marks[-1], "peak_mb": max(marks),
            "exit": "clean" if "closed" in lines and done.returncode == 0 else
                    f"exit code {done.returncode} after closing the window: {done.stderr.strip()[-200:]}"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--cycle", type=int, default=0,
                        help="the batch is the first N photos over and over: each tenth does the same work")
    parser.add_argument("--cli-only", action="store_true")
    parser.add_argument("--gui-only", action="store_true")
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    work = Path(tempfile.mkdtemp(prefix="matting-long-"))
    (work / "photos").mkdir()
    photos = make_photos(work / "photos", args.images, size, args.cycle)
    rows = {}
    if not args.gui_only:
        rows["CLI batch"] = cli_batch(photos, work / "out")
    if not args.cli_only:
        rows["GUI, images opened in turn"] = gui_sequence(photos, work / "settings.ini")
    print(f"\n{args.images} generated {args.size} photos" + (f" ({args.cycle} different ones in turn)" if args.cycle else "")
          + "\n")
    print("| run | images | s | RSS after the first 10 % (MB) | RSS at the end (MB) | growth (MB) | peak (MB) |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        if not r.get("ok") or r.get("after_first_10pc_mb") is None:
            print(f"| {name} | failed: {r.get('stderr', '')} |")
            continue
        growth = r["at_end_mb"] - r["after_first_10pc_mb"]
        print(f"| {name} | {r['images']} | {r['seconds']:.0f} | {r['after_first_10pc_mb']:.0f} | {r['at_end_mb']:.0f} "
              f"| {growth:+.0f} | {r['peak_mb']:.0f} |")
    for name, r in rows.items():
        if r.get("window_peaks_mb"):
            print(f"{name}: peak RSS per tenth of the images (MB): " + ", ".join(f"{v:.0f}" for v in r["window_peaks_mb"]))
        if r.get("exit"):
            print(f"{name}: {r['exit']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
