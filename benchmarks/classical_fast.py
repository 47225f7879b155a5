"""Plain vs fast mode of the classical methods on alphamatting.com dev images: time and SAD per image.

    python benchmarks/classical_fast.py [--methods cf,knn,rw,lkm,lbdm] [--modes plain,fast] [--limit N]
                                        [--trimap trimap|trimap2] [--data DIR]

SAD = Σ|pred − gt| over the trimap's unknown region / 1000 (``core.metrics.sad``). Times are wall-clock
seconds of one call (the first call of each method also pays numba's one-off compilation, so every method
is warmed up on a tiny image first). Data: ``../shared/data/alphamatting_dev`` (Rhemann et al., CVPR 2009).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from matting_studio.classical import METHODS, run_method  # noqa: E402
from matting_studio.core.imageio import load_gray, load_image  # noqa: E402
from matting_studio.core.metrics import sad  # noqa: E402
from matting_studio.core.trimap import validate_trimap  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "alphamatting_dev"


def _warm_up(methods: list[str]) -> None:
    """Compile pymatting's numba kernels once so they do not count in the first image's time."""
    yy, xx = np.mgrid[0:24, 0:24].astype(np.float32)
    r = np.hypot(yy - 12, xx - 12)
    image = np.stack([np.clip((8 - r) / 3, 0, 1)] * 3, -1) * 0.8 + 0.1
    trimap = np.full((24, 24), 0.5, np.float32)
    trimap[r < 5] = 1.0
    trimap[r > 10] = 0.0
    for name in methods:
        for fast in (False, True):
            run_method(name, image, trimap, fast=fast)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="cf,knn,rw,lkm,lbdm")
    parser.add_argument("--modes", default="plain,fast")
    parser.add_argument("--limit", type=int, default=None, help="only the first N images")
    parser.add_argument("--trimap", default="trimap", choices=["trimap", "trimap2"])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS] + [m for m in modes if m not in ("plain", "fast")]
    if unknown:
        parser.error(f"unknown method/mode: {', '.join(unknown)}")
    paths = sorted((args.data / "image").glob("*.png"))[: args.limit]
    if not paths:
        parser.error(f"no images in {args.data / 'image'}")

    _warm_up(methods)
    results: dict[tuple[str, str], list[tuple[float, float]]] = {(m, mode): [] for m in methods for mode in modes}
    cols = [f"{m}/{mode}" for m in methods for mode in modes]
    print(f"{'image':<10} {'MP':>5} " + " ".join(f"{c:>19}" for c in cols))
    print(f"{'':<10} {'':>5} " + " ".join(f"{'time s':>9} {'SAD':>9}" for _ in cols))
    for path in paths:
        image = load_image(path).rgb
        gt = load_gray(args.data / "alpha" / path.name)
        trimap = validate_trimap(load_gray(args.data / args.trimap / path.name), image.shape)
        row = []
        for m in methods:
            for mode in modes:
                t0 = time.perf_counter()
                alpha = run_method(m, image, trimap, fast=mode == "fast")
                dt = time.perf_counter() - t0
                err = sad(alpha, gt, trimap)
                results[(m, mode)].append((dt, err))
                row.append(f"{dt:>9.2f} {err:>9.2f}")
        mp = image.shape[0] * image.shape[1] / 1e6
        print(f"{path.stem:<10} {mp:>5.2f} " + " ".join(row), flush=True)

    print(f"\nmeans over {len(paths)} images ({args.trimap}):")
    print(f"{'method':<6} {'mode':<6} {'time s':>8} {'SAD':>8}")
    for m in methods:
        for mode in modes:
            arr = np.array(results[(m, mode)])
            print(f"{m:<6} {mode:<6} {arr[:, 0].mean():>8.2f} {arr[:, 1].mean():>8.2f}")
        if "plain" in modes and "fast" in modes:
            p, f = np.array(results[(m, "plain")]), np.array(results[(m, "fast")])
            print(f"{m:<6} speed-up x{p[:, 0].mean() / f[:, 0].mean():.1f}, SAD change "
                  f"{f[:, 1].mean() - p[:, 1].mean():+.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
