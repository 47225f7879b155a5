"""Automatic mode (no trimap) against what users would pick instead: MODNet and rembg's U²-Net-p.

    python benchmarks/auto_mode.py [--data ../shared/data] [--images GT01,GT04] [--out DIR] [--no-sheet]
                                   [--cache DIR] [--no-table] [--portraits STEM,STEM] [--ablations]
                                   [--auto person,object,combined]

On ``alphamatting_dev`` (``image/`` + ``alpha/`` + ``trimap/``), every row matting each image with no trimap:
our segmenters' soft masks used as alpha (person, object = U²-Net-p port, GrabCut, combined), full automatic
mode (segmentation → automatic trimap → the default matting method; ``--ablations`` adds the adaptive band and
the automatic trimap without hole filling) and the references on ONNX Runtime (the ``bench`` extra). Scores: whole image (every pixel) and band (the benchmark's Trimap1 unknown region) SAD, MSE and
Conn (``core.metrics``), and seconds per image. Then a contact sheet zoomed on the hair of each portrait in
``portraits/image`` (image, ours with the fixed and the adaptive band, MODNet, rembg, over one solid colour) is
written to ``DIR`` in pages of 6.
``--cache DIR`` keeps the segmenters' masks and the references' alphas (with their seconds) between runs, so
a rerun after a change to the trimap or matting stages only recomputes those.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _references import load_reference  # noqa: E402

from matting_studio.core import imageio, metrics  # noqa: E402
from matting_studio.core.contact_sheet import Tile, render_sheet  # noqa: E402
from matting_studio.core.trimap import UNKNOWN, validate_trimap  # noqa: E402
from matting_studio.engine.pipeline import Pipeline  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHEET_BACKGROUND = (0.2, 0.75, 0.3)  # green: background-coloured fringes show against it
SHEET_ROWS = 6

# automatic-mode rows: label → Pipeline options (segmentation shared by rows with the same segmenter)
AUTO_ROWS = {
    "auto: person": {"segmenter": "person"},
    "auto: object": {"segmenter": "object"},
    "auto: combined": {"segmenter": "combined"},
}
ABLATION_ROWS = {  # --ablations: the adaptive band and the hole filling against the defaults
    "auto: person, adaptive band": {"segmenter": "person", "band": "adaptive"},
    "auto: object, holes kept": {"segmenter": "object", "fill_holes": False},
    "auto: object, adaptive band": {"segmenter": "object", "band": "adaptive"},
}
SEGMENTER_ROWS = {"person segmenter": ("person", {}), "object segmenter (U²-Net-p)": ("object", {"backend": "u2netp"}),
                  "object segmenter (GrabCut)": ("object", {"backend": "grabcut"})}
COMBINED_ROW = "combined segmenter (U²-Net-p + person)"  # from the two masks above (combine_masks), not rerun
REFERENCES = ("modnet", "rembg")


def scores(alpha: np.ndarray, gt: np.ndarray, band: np.ndarray) -> dict[str, float]:
    whole = np.full(gt.shape, UNKNOWN, np.float32)
    alpha = np.clip(alpha, 0, 1)
    out = {}
    for region, trimap in (("whole", whole), ("band", band)):
        out[f"{region} SAD"] = metrics.sad(alpha, gt, trimap)
        out[f"{region} MSE"] = metrics.mse(alpha, gt, trimap)
        out[f"{region} Conn"] = metrics.connectivity_error(alpha, gt, trimap)
    return out


def timed(fn, cache: Path | None = None, key: str = ""):
    """``(fn(), seconds)``; with ``cache``, a previous run's array and seconds are reused (``key`` names them)."""
    file = cache / f"{key}.npz" if cache is not None else None
    if file is not None and file.is_file():
        stored = np.load(file)
        return stored["value"], float(stored["seconds"])
    t0 = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - t0
    if file is not None:
        np.savez_compressed(file, value=value, seconds=seconds)
    return value, seconds


def _key(*parts: str) -> str:
    return "_".join(p.replace(" ", "-").replace("/", "-").replace("(", "").replace(")", "") for p in parts)


def run_dataset(root: Path, stems, references, cache: Path | None = None,
                auto_rows: dict = AUTO_ROWS) -> dict[str, list[dict[str, float]]]:
    from matting_studio.engine.segmentation.combined import combine_masks

    segmenters = {label: Pipeline(segmenter=name, device="cpu", segmenter_options=opts)
                  for label, (name, opts) in SEGMENTER_ROWS.items()}
    autos = {label: Pipeline(device="cpu", **opts) for label, opts in auto_rows.items()}
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in [*SEGMENTER_ROWS, COMBINED_ROW, *auto_rows,
                                                               *references]}
    for path in imageio.list_images(root / "image"):
        if stems and path.stem not in stems:
            continue
        image = imageio.load_image(path).rgb
        gt = imageio.load_gray(root / "alpha" / f"{path.stem}.png")
        band = validate_trimap(imageio.load_gray(root / "trimap" / f"{path.stem}.png"), image.shape)
        masks, seconds = {}, {}
        for label, pipe in segmenters.items():
            mask, secs = timed(lambda: pipe.segment(image), cache, _key(path.stem, label))
            rows[label].append({**scores(mask, gt, band), "s": secs})
            key = (SEGMENTER_ROWS[label][0], SEGMENTER_ROWS[label][1].get("backend", "auto"))
            masks[key], seconds[key] = mask, secs
        key = ("combined", "auto")
        masks[key] = combine_masks(masks[("object", "u2netp")], masks[("person", "auto")])
        seconds[key] = seconds[("object", "u2netp")] + seconds[("person", "auto")]
        rows[COMBINED_ROW].append({**scores(masks[key], gt, band), "s": seconds[key]})
        done = {}  # (options, mask) already matted: a combined mask equal to the object's is not matted twice
        for label, pipe in autos.items():
            key = (pipe.segmenter_name, "u2netp" if pipe.segmenter_name == "object" else "auto")
            same = [k for k in done if k[0] == (pipe.band, pipe.fill_holes) and np.array_equal(masks[k[1]], masks[key])]
            if same:
                alpha, secs = done[same[0]]
            else:
                alpha, secs = timed(lambda: pipe.run(image, soft_mask=masks[key]).alpha)
            done[((pipe.band, pipe.fill_holes), key)] = (alpha, secs)
            rows[label].append({**scores(alpha, gt, band), "s": secs + seconds[key]})
        for name, model in references.items():
            alpha, secs = timed(lambda: model.predict(image), cache, _key(path.stem, name))
            rows[name].append({**scores(alpha, gt, band), "s": secs})
        print(f"  {path.stem}: " + ", ".join(f"{k.split(':')[0][:12]} {v[-1]['whole SAD']:.1f}"
                                              for k, v in rows.items()), flush=True)
    return rows


def print_table(rows, references) -> None:
    columns = ["whole SAD", "whole MSE", "whole Conn", "band SAD", "band MSE", "band Conn", "s"]
    width = max(len(k) for k in [*rows, *(m.label for m in references.values())]) + 2
    print(f"{'mean over ' + str(len(next(iter(rows.values())))) + ' images':<{width}}"
          + "".join(f"{c:>11}" for c in columns))
    for key, per_image in rows.items():
        label = references[key].label if key in references else key
        means = {c: float(np.mean([r[c] for r in per_image])) for c in columns}
        print(f"{label:<{width}}" + "".join(f"{means[c]:>11.4f}" if "MSE" in c else f"{means[c]:>11.2f}"
                                           for c in columns))


def hair_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)``: a square on the top of the subject (where portraits have their hair), a third of
    the image's short side, with the mask's top row a quarter of the way down."""
    h, w = mask.shape
    side = max(32, min(h, w) // 3)
    rows = np.nonzero((mask > 0.5).any(axis=1))[0]
    top = int(rows[0]) if rows.size else 0
    cols = np.nonzero(mask[min(h - 1, top + side // 4)] > 0.5)[0]
    cx = int(cols.mean()) if cols.size else w // 2
    y0 = int(np.clip(top - side // 4, 0, h - side))
    x0 = int(np.clip(cx - side // 2, 0, w - side))
    return y0, y0 + side, x0, x0 + side


def over(fg: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    bg = np.asarray(SHEET_BACKGROUND, np.float32)
    return fg * alpha[..., None] + bg * (1 - alpha[..., None])


def write_hair_sheets(folder: Path, references, out: Path, cache: Path | None = None, stems=None) -> list[Path]:
    ours = {f"ours, {band} band": Pipeline(device="cpu", segmenter="person", band=band)
            for band in ("fixed", "adaptive")}
    columns = 1 + len(ours) + len(references)
    tiles, pages = [], []
    paths = [p for p in imageio.list_images(folder) if not stems or p.stem in stems]
    for k, path in enumerate(paths):
        image = imageio.load_image(path).rgb
        mask = None
        for label, pipe in ours.items():
            result = pipe.run(image, soft_mask=mask)
            if mask is None:
                mask = result.soft_mask
                y0, y1, x0, x1 = hair_box(mask)
                crop = (slice(y0, y1), slice(x0, x1))
                tiles.append(Tile(image[crop], path.stem[:22], f"{image.shape[1]}x{image.shape[0]} hair crop"))
            tiles.append(Tile(over(result.foreground[crop], result.alpha[crop]), label))
        for name, model in references.items():
            alpha, _ = timed(lambda: model.predict(image), cache, _key("portrait", path.stem, name))
            tiles.append(Tile(over(image[crop], alpha[crop]), model.label))
        print(f"  sheet: {path.stem}", flush=True)
        if len(tiles) == SHEET_ROWS * columns or k == len(paths) - 1:
            page = out / f"hair_sheet_{len(pages) + 1}.png"
            sheet = render_sheet(tiles, columns=columns, tile_width=300,
                                 title=f"Hair crops, page {len(pages) + 1}: image | ours (person segmenter; fixed, "
                                       f"adaptive band) | " + " | ".join(m.label for m in references.values()))
            imageio.save_png(page, sheet, overwrite=True)
            pages.append(page)
            tiles = []
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--images", default=None, help="comma-separated alphamatting stems (default: all)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/matting-studio-auto-mode"))
    parser.add_argument("--no-sheet", action="store_true")
    parser.add_argument("--no-table", action="store_true", help="only the portraits' hair sheet")
    parser.add_argument("--ablations", action="store_true", help="also the adaptive band and holes-kept rows")
    parser.add_argument("--auto", default=None, help="comma-separated segmenters of the automatic-mode rows "
                                                     "(default: person,object,combined)")
    parser.add_argument("--portraits", default=None, help="comma-separated portrait stems (default: all)")
    parser.add_argument("--cache", type=Path, default=None, help="folder for masks / reference alphas")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    references = {name: load_reference(name, threads=args.threads) for name in REFERENCES}
    stems = set(args.images.split(",")) if args.images else None
    if args.cache is not None:
        args.cache.mkdir(parents=True, exist_ok=True)
    if not args.no_table:
        auto_rows = {**AUTO_ROWS, **ABLATION_ROWS} if args.ablations else dict(AUTO_ROWS)
        if args.auto:
            auto_rows = {k: v for k, v in auto_rows.items() if v["segmenter"] in args.auto.split(",")}
        rows = run_dataset(args.data / "alphamatting_dev", stems, references, args.cache, auto_rows)
        print_table(rows, references)
    if not args.no_sheet:
        args.out.mkdir(parents=True, exist_ok=True)
        portraits = set(args.portraits.split(",")) if args.portraits else None
        for page in write_hair_sheets(args.data / "portraits" / "image", references, args.out, args.cache,
                                      portraits):
            print(f"wrote {page}")


if __name__ == "__main__":
    main()
