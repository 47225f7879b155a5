"""Cross-validation of the combined segmenter's agreement rule (``segmentation.combined.AGREE``).

    python benchmarks/combined_agree.py [--data ../shared/data] [--cache DIR]

The person segmenter's attached regions are added to U²-Net-p's object only when its confident region covers at
least ``agree`` of the object's. For each of the five fixed folds of ``benchmarks/crossval.py`` the value of
``GRID`` with the lowest mean whole-image SAD of automatic mode (the combined mask → automatic trimap → DLMN-G)
on the other 16 images is chosen and scored on the fold's 4 (ties go to the lowest value). Printed: each fold's
choice, the choice on all 20 (what ships), the out-of-fold mean whole-image SAD and MSE over all 20, and the same for ``agree = 0`` (the rule off).
``--cache`` shares the segmenters' masks with ``benchmarks/auto_mode.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auto_mode import SEGMENTER_ROWS, _key, timed  # noqa: E402
from crossval import FOLDS  # noqa: E402

from matting_studio.core import imageio, metrics  # noqa: E402
from matting_studio.core.trimap import UNKNOWN  # noqa: E402
from matting_studio.engine.pipeline import Pipeline  # noqa: E402
from matting_studio.engine.segmentation.combined import combine_masks  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
GRID = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9)
PERSON, OBJECT = "person segmenter", "object segmenter (U²-Net-p)"


def image_scores(root: Path, stem: str, cache, pipe: Pipeline, segmenters: dict) -> dict[float, tuple[float, float]]:
    """``{agree: (whole SAD, whole MSE)}`` of automatic mode on one image; each distinct mask is matted once."""
    image = imageio.load_image(root / "image" / f"{stem}.png").rgb
    gt = imageio.load_gray(root / "alpha" / f"{stem}.png")
    masks = {label: timed(lambda: segmenters[label].segment(image), cache, _key(stem, label))[0]
             for label in (PERSON, OBJECT)}
    whole = np.full(gt.shape, UNKNOWN, np.float32)
    out, done = {}, []
    for agree in GRID:
        mask = combine_masks(masks[OBJECT], masks[PERSON], agree=agree)
        same = [score for m, score in done if np.array_equal(m, mask)]
        if not same:
            alpha = np.clip(pipe.run(image, soft_mask=mask).alpha, 0, 1)
            same = [(metrics.sad(alpha, gt, whole), metrics.mse(alpha, gt, whole))]
            done.append((mask, same[0]))
        out[agree] = same[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    root = args.data / "alphamatting_dev"
    if args.cache is not None:
        args.cache.mkdir(parents=True, exist_ok=True)
    segmenters = {label: Pipeline(segmenter=SEGMENTER_ROWS[label][0], device="cpu",
                                  segmenter_options=SEGMENTER_ROWS[label][1]) for label in (PERSON, OBJECT)}
    pipe = Pipeline(device="cpu")
    per = {stem: image_scores(root, stem, args.cache, pipe, segmenters) for fold in FOLDS for stem in fold}
    held = []
    for k, fold in enumerate(FOLDS):
        train = [s for s in per if s not in fold]
        best = min(GRID, key=lambda a: np.mean([per[s][a][0] for s in train]))
        held += [per[s][best] for s in fold]
        print(f"fold {k + 1} ({', '.join(fold)}): agree {best}, held-out SAD "
              + ", ".join(f"{per[s][best][0]:.1f}" for s in fold))
    best = min(GRID, key=lambda a: np.mean([per[s][a][0] for s in per]))
    print(f"all 20 (what ships as segmentation.combined.AGREE): agree {best}")
    off = [per[s][0.0] for s in per]
    print(f"out of fold, chosen agree: whole SAD {np.mean([h[0] for h in held]):.2f}  MSE {np.mean([h[1] for h in held]):.4f}")
    print(f"agree 0 (rule off):        whole SAD {np.mean([o[0] for o in off]):.2f}  MSE {np.mean([o[1] for o in off]):.4f}")


if __name__ == "__main__":
    main()
