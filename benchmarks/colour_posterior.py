"""Quality and time of the colour posterior (DLMN-G's prior channel 7): local against global.

    python benchmarks/colour_posterior.py DATASET [--exclude GT05,GT13,GT18,GT25] [--tiles 64,96,128]

DATASET has ``image/``, ``alpha/`` and ``trimap/`` (and ``trimap2/`` when present, which is used too). For every
image and trimap, the posterior's mean squared error against the true alpha over the unknown region, averaged;
the global model is the posterior with one tile for the whole image. Also the best-of-3 seconds per image. The
default excludes the four images DLMN-G is validated on, so that the posterior's settings are chosen without them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import best_time  # noqa: E402

from matting_studio.core import imageio  # noqa: E402
from matting_studio.core.trimap import validate_trimap  # noqa: E402
from matting_studio.engine.models.colour_prior import POSTERIOR_TILE, colour_posterior  # noqa: E402


def cases(root: Path, exclude: set[str]):
    for path in imageio.list_images(root / "image"):
        if path.stem in exclude:
            continue
        image = imageio.load_image(path).rgb
        alpha = imageio.load_gray(root / "alpha" / f"{path.stem}.png")
        for folder in ("trimap", "trimap2"):
            trimap_path = root / folder / f"{path.stem}.png"
            if trimap_path.is_file():
                yield path.stem, image, alpha, validate_trimap(imageio.load_gray(trimap_path), image.shape)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--exclude", default="GT05,GT13,GT18,GT25")
    parser.add_argument("--tiles", default=f"64,{POSTERIOR_TILE},128", help="tile sizes (px) of the local model")
    args = parser.parse_args()
    data = list(cases(args.dataset, {s for s in args.exclude.split(",") if s}))
    if not data:
        print(f"No images with alpha and trimap in {args.dataset}.", file=sys.stderr)
        return 2
    print(f"{len(data)} image/trimap pairs from {args.dataset} (excluded: {args.exclude or 'none'})")
    print(f"{'posterior':<22}{'MSE':>9}{'s/image':>10}")
    for label, tile in [("global", 10**9)] + [(f"local, tile {t} px", int(t)) for t in args.tiles.split(",")]:
        errors = [float(((colour_posterior(image, trimap, tile=tile) - alpha) ** 2)[trimap == 0.5].mean())
                  for _, image, alpha, trimap in data]
        seconds = np.mean([best_time(lambda: colour_posterior(image, trimap, tile=tile), 3)
                           for _, image, _, trimap in data])
        print(f"{label:<22}{np.mean(errors):>9.4f}{seconds:>10.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
