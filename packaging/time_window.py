"""Time from starting the built app to its window being mapped, under Xvfb, and screenshot it.

    python packaging/time_window.py [BINARY] [--runs 3] [--screenshot OUT.png]

Needs ``Xvfb`` and ``xdotool`` (and ImageMagick's ``import`` for the screenshot, ``xprop`` for the window's class
and icon). Each run starts the binary with no arguments (it opens the sample image), polls every 50 ms for a visible
window named "Matting Studio…", prints the time, then ends the app.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISPLAY = ":93"
TITLE = "^Matting Studio"
TIMEOUT_S = 300


def find_window(env: dict) -> str | None:
    done = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", TITLE], capture_output=True, text=True,
                          env=env)
    return done.stdout.split()[0] if done.returncode == 0 and done.stdout.split() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", type=Path, nargs="?", default=ROOT / "dist" / "matting-studio" / "matting-studio")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--screenshot", type=Path, help="PNG of the screen after the last run's window appeared")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds to wait before the screenshot")
    args = parser.parse_args(argv)
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        print("time_window: needs Xvfb and xdotool", file=sys.stderr)
        return 2
    xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", "1600x1000x24"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    env = dict(os.environ, DISPLAY=DISPLAY)
    env.pop("QT_QPA_PLATFORM", None)
    try:
        time.sleep(1.0)
        for run in range(1, args.runs + 1):
            start = time.perf_counter()
            app = subprocess.Popen([str(args.binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True)
            window = None
            while window is None and app.poll() is None and time.perf_counter() - start < TIMEOUT_S:
                time.sleep(0.05)
                window = find_window(env)
            if window is None:
                print(f"run {run}: no window (exit {app.poll()}): {app.stderr.read()[-500:] if app.poll() is not None else ''}")
                app.kill()
                return 1
            print(f"run {run}: window after {time.perf_counter() - start:.2f} s")
            if run == args.runs:
                if shutil.which("xprop"):
                    props = subprocess.run(["xprop", "-id", window, "WM_CLASS", "_NET_WM_ICON"], capture_output=True,
                                           text=True, env=env).stdout
                    icon = "_NET_WM_ICON(CARDINAL)" in props
                    print(f"  {props.splitlines()[0] if props else 'no WM_CLASS'}; window icon set: {icon}")
                if args.screenshot and shutil.which("import"):
                    time.sleep(args.settle)  # let the first methods fill their panes
                    subprocess.run(["import", "-window", "root", str(args.screenshot)], env=env, check=True)
                    print(f"  screenshot: {args.screenshot}")
            app.terminate()  # the process this script started
            try:
                app.wait(timeout=30)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
    finally:
        xvfb.terminate()
        xvfb.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
