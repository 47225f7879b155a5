"""Which turn of a photo the person segmenter is most sure of: the rule behind its fallback for sideways subjects.

    python benchmarks/segmenter_turns.py FOLDER [--size 400]

Every image in FOLDER (upright portraits) is shrunk to ``--size`` px and segmented as it is and turned by one, two
and three quarter turns. For each score, how many images it ranks highest when upright (of all four turns) and
above the upside-down turn. ``confidence`` (the mean probability of the person pixels) is what
``engine.segmentation.person`` uses; ``count`` (the number of person pixels) is shown for comparison.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matting_studio.core import imageio  # noqa: E402
from matting_studio.core.trimap import MASK_THRESHOLD  # noqa: E402
from matting_studio.engine.segmentation.person import PersonSegmenter, _confidence  # noqa: E402

SCORES = {"confidence": _confidence, "count": lambda low: float((low >= MASK_THRESHOLD).mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--size", type=int, default=400)
    args = parser.parse_args()
    import cv2

    segmenter = PersonSegmenter(device="cpu")
    best = {name: 0 for name in SCORES}
    above_half_turn = {name: 0 for name in SCORES}
    paths = imageio.list_images(args.folder)
    for path in paths:
        rgb = imageio.load_image(path).rgb
        scale = min(1.0, args.size / max(rgb.shape[:2]))
        rgb = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), interpolation=cv2.INTER_AREA)
        lows = [segmenter.low_res(np.rot90(rgb, k)) for k in range(4)]
        for name, score in SCORES.items():
            values = [score(low) for low in lows]
            best[name] += int(np.argmax(values) == 0)
            above_half_turn[name] += int(values[0] > values[2])
    print(f"{len(paths)} images")
    for name in SCORES:
        print(f"{name:<11} upright ranked first of 4 turns: {best[name]:>3}   above the half turn: "
              f"{above_half_turn[name]:>3}")


if __name__ == "__main__":
    main()
