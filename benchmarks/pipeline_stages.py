"""Time and peak memory per pipeline stage for a 1920×1080 photo on the CPU.

    python benchmarks/pipeline_stages.py [--image PATH] [--segmenter person] [--methods cf,knn] [--fast]

Time is the best of three untraced runs. Memory: the Python-heap peak of one traced run of the stage
(tracemalloc; numpy buffers count, torch's allocator does not) and the process's peak RSS so far.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from matting_studio.core import imageio  # noqa: E402
from matting_studio.engine.pipeline import Pipeline  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _hd_image(path: Path | None) -> np.ndarray:
    import cv2

    if path is None:
        default = REPO.parent / "shared" / "data" / "portraits" / "image" / "astronaut.png"
        path = default if default.is_file() else None
    if path is None:  # a synthetic portrait-like image
        yy, xx = np.mgrid[0:1080, 0:1920].astype(np.float32)
        disc = (np.hypot(yy - 600, xx - 960) < 400).astype(np.float32)
        return np.stack([0.2 + 0.6 * disc, 0.3 + 0.2 * disc, 0.6 - 0.3 * disc], -1)
    image = imageio.load_image(path).rgb
    # cover-resize to 1920x1080 (the benchmark's fixed size)
    h, w = image.shape[:2]
    s = max(1920 / w, 1080 / h)
    image = cv2.resize(image, (round(w * s), round(h * s)), interpolation=cv2.INTER_CUBIC)
    y0, x0 = (image.shape[0] - 1080) // 2, (image.shape[1] - 1920) // 2
    return np.clip(image[y0:y0 + 1080, x0:x0 + 1920], 0, 1).astype(np.float32)


def _measure(label: str, fn, repeats: int = 3):
    """Best wall time of ``repeats`` runs (untraced), then one traced run for the heap peak."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<28}{min(times):>9.3f} s{peak / 2**20:>12.0f} MB{_rss_mb():>12.0f} MB")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", type=Path)
    parser.add_argument("--segmenter", default="person")
    parser.add_argument("--methods", default="cf")
    parser.add_argument("--fast", action="store_true")
    args = parser.parse_args()

    import torch

    image = _hd_image(args.image)
    print(f"image {image.shape[1]}x{image.shape[0]}, torch threads {torch.get_num_threads()}, fast={args.fast}")
    print(f"{'stage':<28}{'time':>11}{'heap peak':>15}{'RSS peak':>15}")
    pipe = Pipeline(segmenter=args.segmenter, method=args.methods.split(",")[0], fast=args.fast)
    t0 = time.perf_counter()
    pipe.segment(image)
    print(f"{'first segmentation (load)':<28}{time.perf_counter() - t0:>9.3f} s")
    mask = _measure(f"segmentation ({args.segmenter})", lambda: pipe.segment(image))
    trimap = _measure("trimap", lambda: pipe.make_trimap(mask))
    for method in args.methods.split(","):
        _measure(f"matting + fg ({method})", lambda: pipe.matte(image, trimap, method=method, soft_mask=mask))


if __name__ == "__main__":
    main()
