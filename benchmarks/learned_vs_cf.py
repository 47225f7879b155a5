"""Time of the learned pipeline (DLMN-G, DLMN-G → SSRN) against closed-form matting, trimap mode.

    python benchmarks/learned_vs_cf.py [DATASET] [--images GT05,GT13] [--repeats 2] [--threads 2]

DATASET is a folder with ``image/`` and ``trimap/`` (e.g. alphamatting.com's training images); without it a
synthetic 800×600 image with a 12 %-unknown trimap is used. Prints the best-of-``repeats`` seconds per image for
``dlmng``, ``ssrn`` and ``cf`` (plain and ``--fast``), and the learned/closed-form time ratios (target: ≤ 0.2).
Uses the bundled weights (``models/``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matting_studio.core import imageio  # noqa: E402
from matting_studio.core.trimap import validate_trimap  # noqa: E402
from matting_studio.engine.pipeline import Pipeline  # noqa: E402


def synthetic(h=600, w=800):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((yy - h / 2) / h, (xx - w / 2) / w)
    alpha = np.clip((0.3 - r) * 20 + 0.5 + 0.3 * np.sin(xx / 3) * (abs(r - 0.3) < 0.05), 0, 1)
    image = alpha[..., None] * rng.random(3) + (1 - alpha[..., None]) * rng.random(3) + 0.05 * rng.random((h, w, 3))
    trimap = np.where(r < 0.25, 1.0, np.where(r > 0.35, 0.0, 0.5)).astype(np.float32)
    return [("synthetic", np.clip(image, 0, 1).astype(np.float32), trimap)]


def dataset(root: Path, stems):
    items = []
    for path in imageio.list_images(root / "image"):
        if stems and path.stem not in stems:
            continue
        image = imageio.load_image(path).rgb
        items.append((path.stem, image, validate_trimap(imageio.load_gray(root / "trimap" / f"{path.stem}.png"),
                                                        image.shape)))
    return items


from _timing import best_time  # noqa: E402



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, nargs="?")
    parser.add_argument("--images", default=None)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    items = dataset(args.dataset, args.images.split(",") if args.images else None) if args.dataset else synthetic()
    runs = {"dlmng": Pipeline(method="dlmng", device="cpu"), "ssrn": Pipeline(method="ssrn", device="cpu"),
            "cf": Pipeline(method="cf", fast=False), "cf --fast": Pipeline(method="cf", fast=True)}
    for p in runs.values():  # load the models once, outside the timing
        p.matte(items[0][1], items[0][2])
    print(f"{'image':<12}{'size':>10}" + "".join(f"{k:>11}" for k in runs) + f"{'ssrn/cf':>9}")
    totals = {k: 0.0 for k in runs}
    for stem, image, trimap in items:
        secs = {k: best_time(lambda p=p: p.matte(image, trimap), args.repeats) for k, p in runs.items()}
        for k in runs:
            totals[k] += secs[k]
        print(f"{stem:<12}{image.shape[1]}x{image.shape[0]:<6}" + "".join(f"{secs[k]:>11.3f}" for k in runs)
              + f"{secs['ssrn'] / secs['cf']:>9.3f}")
    n = len(items)
    print(f"{'MEAN':<22}" + "".join(f"{totals[k] / n:>11.3f}" for k in runs)
          + f"{totals['ssrn'] / totals['cf']:>9.3f}")
    print(f"ratios to plain cf: dlmng {totals['dlmng'] / totals['cf']:.3f}, ssrn {totals['ssrn'] / totals['cf']:.3f}")


if __name__ == "__main__":
    main()
