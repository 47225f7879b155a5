"""Contact sheet of cut-outs (RGBA PNGs, e.g. from ``matting-studio cutout``) composited on a colour.

    python tools/cutout_sheet.py CUTOUT_DIR -o sheet.png [--color '#33cc55'] [--columns 8] [--limit 32]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matting_studio.core import imageio  # noqa: E402
from matting_studio.core.compositing import composite  # noqa: E402
from matting_studio.core.contact_sheet import Tile, render_sheet  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--color", default="#33cc55")
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--limit", type=int, default=32)
    parser.add_argument("--tile", type=int, default=240)
    args = parser.parse_args()
    tiles = []
    for path in imageio.list_images(args.folder)[: args.limit]:
        image = imageio.load_image(path)
        alpha = image.alpha if image.alpha is not None else np.ones(image.rgb.shape[:2], np.float32)
        h = round(args.tile * 1.25)
        rgb = cv2.resize(image.rgb, (args.tile, h), interpolation=cv2.INTER_AREA)
        a = cv2.resize(alpha, (args.tile, h), interpolation=cv2.INTER_AREA)
        tiles.append(Tile(composite(rgb, a, args.color), path.stem[: max(8, args.tile // 13)]))
    if not tiles:
        print(f"no images in {args.folder}", file=sys.stderr)
        return 2
    imageio.save_png(args.output, render_sheet(tiles, columns=args.columns, tile_width=args.tile), overwrite=True)
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
