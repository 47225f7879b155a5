"""Every speed and memory figure of Matting Studio in one run, next to MODNet, on this machine.

    python benchmarks/run_all.py [--json OUT.json] [--repeats 2] [--classical cf,knn,rw,lbdm] [--no-gui | --gui-only]

Photos: a 1920×1080 portrait, a 2000×3000 (6 MP) portrait and that 1080p photo upscaled to 3840×2160 (4K), from
``../shared/data/portraits`` (synthetic stand-ins when it is absent). All in one process after a warm-up run, so
the ratios are measured under the same load. It reports:

* per size, each stage's best time over ``--repeats`` and the peak RSS while it ran (``/proc/self/statm``
  sampled every 5 ms): load, segmentation, trimap, prior, DLMN-G, SSRN (what refinement adds), foreground
  (closed-form's ``estimate_foreground``), save (RGBA PNG);
* the whole automatic mode (segmentation → trimap → the default method), and the same with DLMN-G → SSRN;
* MODNet (ONNX Runtime, the ``bench`` extra) on the same photos: time, peak RSS, and our ratio to it;
* every classical method on the 1080p photo's automatic trimap, plain pymatting against our ``--fast`` mode;
* fresh processes: the CLI's first cut-out of the sample image, and the GUI's window and first result (first
  launch with an empty numba cache, then a second launch, then a later launch on the 1080p photo), with the event
  loop's worst stall and its stalls over 50 ms (QTimer heartbeat, wall clock).

The table is printed; ``--json`` writes every figure. Paste the table and the command into ``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from matting_studio.core import imageio  # noqa: E402

PORTRAITS = REPO.parent / "shared" / "data" / "portraits" / "image"
HD_PHOTO, SIX_MP_PHOTO = "p_09ba26b4.jpg", "photo-1494790108377-be9c29b29330.jpg"
SIZES = {"1080p": (1920, 1080), "6MP": (2000, 3000), "4K": (3840, 2160)}
PAGE = os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Peak resident memory (MB) of this process while the ``with`` block runs, sampled every 5 ms."""

    def __enter__(self):
        self.peak, self._stop = self._now(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    @staticmethod
    def _now() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE / 2**20

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._now())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._now())


def measure(fn, repeats: int):
    """``(best seconds, peak RSS MB over all runs, last value)``."""
    best, peak, value = float("inf"), 0.0, None
    for _ in range(repeats):
        with PeakRSS() as rss:
            t0 = time.perf_counter()
            value = fn()
            best = min(best, time.perf_counter() - t0)
        peak = max(peak, rss.peak)
    return best, peak, value


def photo(size: str, folder: Path) -> Path:
    """The benchmark photo of ``size`` as a JPEG in ``folder`` (4K: the 1080p photo upscaled)."""
    import cv2

    w, h = SIZES[size]
    source = PORTRAITS / (SIX_MP_PHOTO if size == "6MP" else HD_PHOTO)
    if source.is_file():
        image = imageio.load_image(source).rgb
    else:  # a synthetic stand-in: a soft-edged head-and-shoulders shape
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) / max(h, w)
        body = np.clip((0.3 - np.hypot(yy - 0.55, xx - 0.5 * w / max(h, w))) * 200, 0, 1)[..., None]
        image = body * np.float32([0.8, 0.55, 0.45]) + (1 - body) * np.float32([0.3, 0.5, 0.7])
    image = cv2.resize(image, (w, h), interpolation=cv2.INTER_CUBIC if image.shape[1] < w else cv2.INTER_AREA)
    path = folder / f"{size}.jpg"
    cv2.imwrite(str(path), (np.clip(image, 0, 1)[..., ::-1] * 255 + 0.5).astype(np.uint8),
                [cv2.IMWRITE_JPEG_QUALITY, 95])
    return path


def stages(path: Path, out: Path, repeats: int) -> dict:
    from matting_studio.classical import estimate_foreground
    from matting_studio.core.compositing import cutout_rgba
    from matting_studio.engine.pipeline import Pipeline, default_method

    pipe = Pipeline(method="ssrn")
    row: dict = {}

    def stage(name, fn):
        seconds, peak, value = measure(fn, repeats)
        row[name] = {"s": seconds, "rss_mb": peak}
        return value

    image = stage("load", lambda: imageio.load_image(path).rgb)
    pipe.segment(image)  # warm-up of the segmenter (model load)
    soft = stage("segmentation", lambda: pipe.segment(image))
    trimap = stage("trimap", lambda: pipe.make_trimap(soft, image=image))
    pipe.matte(image, trimap, soft_mask=soft, method="ssrn")  # warm-up of the networks
    timings: dict = {}

    def learned(method):
        timings.clear()
        return pipe.matte(image, trimap, soft_mask=soft, method=method, timings=timings)

    dl_s, dl_rss, (alpha, fg) = measure(lambda: learned("dlmng"), repeats)
    row["prior"] = {"s": timings["prior"], "rss_mb": dl_rss}
    row["DLMN-G"] = {"s": timings["networks"], "rss_mb": dl_rss}
    dl_networks = timings["networks"]
    ss_s, ss_rss, _ = measure(lambda: learned("ssrn"), repeats)
    row["SSRN"] = {"s": max(0.0, timings["networks"] - dl_networks), "rss_mb": ss_rss}  # what refinement adds
    stage("foreground", lambda: estimate_foreground(image, alpha))
    target = out / f"{path.stem}-cutout.png"
    stage("save", lambda: imageio.save_png(target, cutout_rgba(fg, alpha), overwrite=True))
    auto = Pipeline(method=default_method())
    auto.run(image)
    s, rss, _ = measure(lambda: auto.run(image), repeats)
    row[f"auto ({auto.method})"] = {"s": s, "rss_mb": rss}
    s, rss, _ = measure(lambda: pipe.run(image), repeats)
    row["auto (ssrn)"] = {"s": s, "rss_mb": rss}
    row["_trimap"], row["_image"] = trimap, image
    return row


FRESH_PEAK = r'''
import sys
sys.path.insert(0, sys.argv[3])
from matting_studio.core import imageio
image = imageio.load_image(sys.argv[2]).rgb
if sys.argv[1] == "modnet":
    from _references import load_reference
    model = load_reference("modnet")
    run = lambda: model.predict(image)
else:
    from matting_studio.engine.pipeline import Pipeline
    pipe = Pipeline(method=sys.argv[1])
    run = lambda: pipe.run(image)
run(); run()
# VmHWM, not ru_maxrss: on Linux ru_maxrss keeps the forking parent's peak across exec
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(int(hwm.split()[1]) / 1024.0)
'''


def fresh_peak_rss(kind: str, path: Path) -> float | None:
    """Peak RSS (MB) of a fresh process that loads ``path`` and runs ``kind`` (a method's automatic mode, or
    ``modnet``) twice: the memory one cut-out needs, without this benchmark's other work in the process."""
    done = subprocess.run([sys.executable, "-c", FRESH_PEAK, kind, str(path), str(Path(__file__).resolve().parent)],
                          capture_output=True, text=True, cwd=str(REPO))
    try:
        return float(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        print(f"fresh process for {kind}: failed ({done.stderr[-300:]})", file=sys.stderr)
        return None


def reference(path: Path, repeats: int, name: str = "modnet") -> dict | None:
    try:
        from _references import load_reference

        model = load_reference(name)
    except Exception as exc:  # no onnxruntime (the bench extra) or no network for the wheel
        print(f"{name}: not measured ({type(exc).__name__}: {exc})", file=sys.stderr)
        return None
    image = imageio.load_image(path).rgb
    model.predict(image)
    s, rss, _ = measure(lambda: model.predict(image), repeats)
    return {"s": s, "rss_mb": rss}


def classical_methods(image, trimap, methods) -> dict:
    from matting_studio import classical

    rows = {}
    for name in methods:
        for fast in (False, True):
            s, rss, _ = measure(lambda: classical.run_method(name, image, trimap, fast=fast), 1)
            rows[f"{name}{' --fast' if fast else ''}"] = {"s": s, "rss_mb": rss}
            print(f"  {name:<5} {'fast ' if fast else 'plain'} {s:8.2f} s  {rss:7.0f} MB", flush=True)
    return rows


def cli_first_result(out: Path) -> dict:
    from matting_studio.app.main import sample_image

    target = out / "cli-first.png"
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "matting_studio", "cutout", str(sample_image()), "-o", str(target),
                           "--force"], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    return {"s": seconds, "ok": done.returncode == 0 and target.is_file(), "stderr": done.stderr[-300:]}


GUI_PROBE = r'''
import json, sys, time
t_start = float(sys.argv[1])
from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
from PySide6.QtWidgets import QApplication
from matting_studio.app.main import sample_image, window_pipeline
from matting_studio.app.main_window import MainWindow
app = QApplication(sys.argv[:1])
window = MainWindow(settings=QSettings(sys.argv[2], QSettings.Format.IniFormat), pipeline=window_pipeline())
window.resize(1400, 900)
window.show()
app.processEvents()
shown = time.time() - t_start
gaps, last = [], [time.perf_counter()]
def beat():
    now = time.perf_counter()
    gaps.append((now - last[0]) * 1000)
    last[0] = now
timer = QTimer(); timer.setInterval(10); timer.timeout.connect(beat); timer.start()
window.add_paths([sys.argv[3] if len(sys.argv) > 3 else sample_image()])
matting, first, everything = window.matting, None, None
wanted = {m for m in matting.methods if m in matting.visible} | {matting.main_method}
deadline = time.time() + 600
while time.time() < deadline and everything is None:
    app.processEvents()
    time.sleep(0.002)
    if first is None and matting.main_method in matting.results:
        first = time.time() - t_start
    if wanted <= set(matting.results):
        everything = time.time() - t_start
print(json.dumps({"window_s": shown, "first_result_s": first, "all_results_s": everything,
                  "worst_gap_ms": max(gaps[5:] or [0]), "gaps_over_50ms": sum(g > 50 for g in gaps[5:]),
                  "main_method": matting.main_method,
                  "method_s": {m: round(r.seconds, 2) for m, r in matting.results.items()}}), flush=True)
window.close()
'''


def gui_first_result(out: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    results = {}
    numba_cache = Path(tempfile.mkdtemp(prefix="numba-cold-"))
    hd = photo("1080p", out)
    # the first with an empty numba cache (a fresh install), then with its cache, then the 1080p photo
    for launch, image in (("first launch", None), ("later launch", None), ("later launch, 1080p photo", hd)):
        env["NUMBA_CACHE_DIR"] = str(numba_cache)
        t0 = time.time()
        extra = [str(image)] if image else []
        done = subprocess.run([sys.executable, "-c", GUI_PROBE, str(t0), str(out / f"gui-{len(results)}.ini"), *extra],
                              capture_output=True, text=True, env=env, cwd=str(REPO))
        try:
            results[launch] = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            results[launch] = {"error": done.stderr[-400:]}
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--classical", default="cf,knn,rw,lbdm", help="methods timed plain and --fast ('' skips)")
    parser.add_argument("--no-gui", action="store_true", help="skip the fresh-process GUI launches")
    parser.add_argument("--gui-only", action="store_true", help="only the fresh-process GUI launches")
    args = parser.parse_args(argv)
    if args.gui_only:
        report = {"gui": gui_first_result(Path(tempfile.mkdtemp(prefix="matting-bench-")))}
        print_gui(report)
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
        return 0
    import torch

    from matting_studio.engine.device import choose_device, describe_device

    device = choose_device("auto")
    report: dict = {"machine": {"cpus": os.cpu_count(), "device": describe_device(device),
                                "python": platform.python_version(), "torch": torch.__version__},
                    "sizes": {}, "modnet": {}, "classical_1080p": {}}
    if device.type == "cpu":
        print("No GPU here: every figure is the CPU's.")
    out = Path(tempfile.mkdtemp(prefix="matting-bench-"))
    hd_trimap = hd_image = None
    for size in SIZES:
        path = photo(size, out)
        print(f"{size}: {path.name}", flush=True)
        row = stages(path, out, args.repeats)
        if size == "1080p":
            hd_trimap, hd_image = row["_trimap"], row["_image"]
        report["sizes"][size] = {k: v for k, v in row.items() if not k.startswith("_")}
        report["modnet"][size] = reference(path, args.repeats)
        report.setdefault("fresh_peak_rss_mb", {})[size] = {
            kind: fresh_peak_rss(kind, path) for kind in ("dlmng", "modnet")}
    methods = [m for m in args.classical.split(",") if m]
    if methods:
        print("classical methods on the 1080p automatic trimap:", flush=True)
        report["classical_1080p"] = classical_methods(hd_image, hd_trimap, methods)
    report["cli_first_result"] = cli_first_result(out)
    if not args.no_gui:
        report["gui"] = gui_first_result(out)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    return 0


def print_table(report: dict) -> None:
    sizes = list(report["sizes"])
    stage_names = list(next(iter(report["sizes"].values())))
    print("\n| stage | " + " | ".join(f"{s} s | {s} MB" for s in sizes) + " |")
    print("|---|" + "---|---|" * len(sizes))
    for name in stage_names:
        cells = [f"{report['sizes'][s][name]['s']:.2f} | {report['sizes'][s][name]['rss_mb']:.0f}" for s in sizes]
        print(f"| {name} | " + " | ".join(cells) + " |")
    modnet = report["modnet"]
    if all(modnet.get(s) for s in sizes):
        print("| MODNet (reference) | " + " | ".join(f"{modnet[s]['s']:.2f} | {modnet[s]['rss_mb']:.0f}"
                                                      for s in sizes) + " |")
        for name in (n for n in stage_names if n.startswith("auto")):
            ratios = [report["sizes"][s][name]["s"] / modnet[s]["s"] for s in sizes]
            print(f"| {name} ÷ MODNet (time) | " + " | ".join(f"{r:.2f} | " for r in ratios) + " |")
    fresh = report.get("fresh_peak_rss_mb", {})
    if fresh:
        print("\nPeak RSS of a fresh process doing one size's work (MB): " + "; ".join(
            f"{s}: automatic mode {v['dlmng'] or float('nan'):.0f}, MODNet {v['modnet'] or float('nan'):.0f}"
            for s, v in fresh.items()))
    hd, k4 = report["sizes"].get("1080p"), report["sizes"].get("4K")
    if hd and k4:
        for name in (n for n in stage_names if n.startswith("auto")):
            print(f"{name}: 4K ÷ 1080p time = {k4[name]['s'] / hd[name]['s']:.2f}")
    if report["classical_1080p"]:
        print("\n| classical method (1080p) | s | MB |\n|---|---|---|")
        for name, r in report["classical_1080p"].items():
            print(f"| {name} | {r['s']:.2f} | {r['rss_mb']:.0f} |")
    cli = report["cli_first_result"]
    print(f"\nCLI, fresh process to the sample's cut-out: {cli['s']:.1f} s ({'ok' if cli['ok'] else 'FAILED'})")
    print_gui(report)


def print_gui(report: dict) -> None:
    for launch, r in report.get("gui", {}).items():
        if "error" in r:
            print(f"GUI {launch}: failed: {r['error']}")
            continue
        first = r["first_result_s"]
        print(f"GUI {launch}: window after {r['window_s']:.1f} s; first result ({r['main_method']}) "
              f"{(first - r['window_s']) if first else float('nan'):.1f} s after the window; every pane "
              f"{(r['all_results_s'] or float('nan')) - r['window_s']:.1f} s after it; worst event-loop gap "
              f"{r['worst_gap_ms']:.0f} ms, {r['gaps_over_50ms']} gaps over 50 ms")


if __name__ == "__main__":
    sys.exit(main())
