"""Cross-validation of a DLMN-G training recipe over the 20 alphamatting_dev images, fold by fold.

    python benchmarks/crossval.py DATASET --recipe models/dlmng-lite.recipe.json --backgrounds DIR [...] \
        --runs RUNS [--stage pool|train|score|all] [--jobs 2] [--final] [--auto [--auto-references]]

For each of the five fixed folds below, the recipe is trained on the other 16 images (``RUNS/fold{k}``) and the
fold's 4 images are matted whole with the run's *last* weights (``model.pt``: no checkpoint is picked by a score),
with the benchmark's Trimap1 (``trimap/``) and Trimap2 (``trimap2/``). The report
(``RUNS/scores-DATASET/crossval.md`` and ``.json``: each dataset's scores and caches have their own folder) is the
mean over all 20 out-of-fold scores next to closed-form, KNN, LBDM, LKM and Random Walk on the same images, with
per-image wins and losses against the best classical method. ``--final`` also trains the recipe
once on all 20 images (``RUNS/final``): the weights to ship.

``--auto`` also scores automatic mode out of fold: each image's soft mask from the combined segmenter (cached in
``auto_masks`` there), its fixed and its adaptive band's trimap, and DLMN-G with the fold run's weights; whole-image
SAD / MSE and SAD on the Trimap1 band. ``--auto-references`` adds closed-form and the weights shipped in
``models/`` (trained on all 20: in-sample) on the same masks. ``--learned-only`` reports the fold runs without the
classical rows (which take hours to compute).

Stages (each resumable: runs continue from ``last.pt``, finished runs and pool samples are kept):
``pool`` makes the shared sample pool (``RUNS/pool``, ``training/sample_pool.py``) with ``--jobs`` processes of
about equal shares;
``train`` runs the folds (``--jobs`` at a time, one torch thread each); ``score`` evaluates. The classical methods'
scores are cached in ``RUNS/scores-DATASET/classical_{trimaps}.json`` (the output of ``matting-studio evaluate
DATASET --methods cf,knn,lbdm,lkm,rw --trimaps T --json ...`` is accepted as is).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FOLDS = (  # fixed: every fifth image of the sorted 20
    ("GT01", "GT08", "GT14", "GT20"),
    ("GT04", "GT09", "GT16", "GT22"),
    ("GT05", "GT10", "GT17", "GT23"),
    ("GT06", "GT12", "GT18", "GT25"),
    ("GT07", "GT13", "GT19", "GT27"),
)
CLASSICAL = ("cf", "knn", "lbdm", "lkm", "rw")
TRIMAPS = ("trimap", "trimap2")
METRICS = ("SAD", "MSE", "Grad", "Conn")
AUTO_SEGMENTER = "combined"  # automatic mode: this segmenter's soft mask (cached once), then each band's trimap
AUTO_BANDS = ("fixed", "adaptive")
AUTO_METRICS = ("whole SAD", "whole MSE", "band SAD")


def _config(args, out: Path, held_out: list[str]):
    from matting_studio.training.config import TrainConfig, load_recipe

    values = load_recipe(args.recipe)
    values.update(model="dlmng", data_dir=args.dataset, backgrounds_dir=args.backgrounds, out_dir=out,
                  val_stems=held_out, pool_dir=args.runs / "pool", resume=True)
    return TrainConfig.from_dict(values)


def _scores_dir(args) -> Path:
    """Where the scores of ``args.dataset`` (and their caches) go: ``RUNS/scores-NAME-HASH``, one folder per
    dataset, so that scoring the same runs on another dataset (a black-and-white copy) never reuses these."""
    import hashlib

    dataset = args.dataset.resolve()
    folder = args.runs / f"scores-{dataset.name}-{hashlib.sha1(str(dataset).encode()).hexdigest()[:8]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _all_stems(dataset: Path) -> list[str]:
    return sorted(s for fold in FOLDS for s in fold if (dataset / "image" / f"{s}.png").is_file())


def _build_pool_part(args, stems: list[str], synthetic: bool) -> int:
    from matting_studio.training.sample_pool import build_pool

    c = _config(args, args.runs / "pool-cache", [])
    return build_pool(c.data_dir, c.backgrounds_dir, c.pool_dir, stems=stems, per_stem=c.pool_per_stem,
                      synthetic=c.pool_synthetic if synthetic and c.synthetic_fraction > 0 else 0, crop=c.crop,
                      seed=c.seed, real_fraction=c.real_fraction, guidance_mix=c.guidance_mix,
                      augmentation=c.augment_config(), cache_dir=args.runs / "pool-cache")


def _pool_parts(stems: list[str], jobs: int, per_stem: int, synthetic: int) -> list[list[str]]:
    """The stems of each pool process, so that every process makes about as many samples: the first one also
    makes the ``synthetic`` procedural ones, so it takes fewer stems."""
    if jobs <= 1:
        return [stems]
    first = min(len(stems), max(0, round(((len(stems) * per_stem + synthetic) / jobs - synthetic) / max(per_stem, 1))))
    rest = stems[first:]
    return [stems[:first]] + [rest[i::jobs - 1] for i in range(jobs - 1)]


def stage_pool(args) -> None:
    stems = _all_stems(args.dataset)
    c = _config(args, args.runs / "pool-cache", [])
    parts = _pool_parts(stems, args.jobs, c.pool_per_stem, c.pool_synthetic if c.synthetic_fraction > 0 else 0)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        made = sum(pool.map(_build_pool_part, [args] * args.jobs, parts, [i == 0 for i in range(args.jobs)]))
    print(f"pool: {made} samples made in {time.perf_counter() - t0:.0f} s")


def _train_one(args, name: str, held_out: list[str]) -> str:
    import torch

    from matting_studio.training.trainer import run_training

    torch.set_num_threads(max(1, 2 // args.jobs))
    out = args.runs / name
    if (out / "model.pt").is_file():
        return f"{name}: done before"
    t0 = time.perf_counter()
    with open(args.runs / f"{name}.log", "a", encoding="utf-8") as log:
        def on_event(event):
            if event.kind in ("validation", "checkpoint", "done", "stopped") or event.step % 25 == 0:
                log.write(json.dumps({"t": round(time.perf_counter() - t0, 1), "kind": event.kind,
                                      "step": event.step, "loss": event.losses.get("total"),
                                      "metrics": event.metrics}) + "\n")
                log.flush()

        run_training(_config(args, out, held_out), on_event=on_event)
    return f"{name}: trained in {time.perf_counter() - t0:.0f} s"


def stage_train(args) -> None:
    runs = [(f"fold{k}", list(fold)) for k, fold in enumerate(FOLDS) if k in args.folds]
    if args.final:
        runs.append(("final", []))
    with ProcessPoolExecutor(args.jobs) as pool:
        for message in pool.map(_train_one, [args] * len(runs), [n for n, _ in runs], [h for _, h in runs]):
            print(message, flush=True)


def _classical_rows(args, trimaps: str) -> list[dict]:
    path = _scores_dir(args) / f"classical_{trimaps}.json"
    if not path.is_file():
        from matting_studio.cli import main

        main(["evaluate", str(args.dataset), "--methods", ",".join(CLASSICAL), "--trimaps", trimaps,
              "--json", str(path)])
    return json.loads(path.read_text())


def _learned_rows(args, trimaps: str) -> list[dict]:
    from matting_studio.core import imageio
    from matting_studio.core.metrics import all_metrics
    from matting_studio.core.trimap import validate_trimap
    from matting_studio.engine.pipeline import Pipeline

    rows = []
    for k, fold in enumerate(FOLDS):
        weights = args.runs / f"fold{k}" / "model.pt"
        if not weights.is_file():
            print(f"fold{k}: not trained yet ({weights})")
            continue
        cache = _scores_dir(args) / f"fold{k}_{trimaps}.json"
        if cache.is_file() and cache.stat().st_mtime > weights.stat().st_mtime:  # scored after its last training
            rows += json.loads(cache.read_text())
            continue
        pipeline = Pipeline(method="dlmng", weights=weights)
        fold_rows = []
        for stem in fold:
            image = imageio.load_image(args.dataset / "image" / f"{stem}.png").rgb
            gt = imageio.load_gray(args.dataset / "alpha" / f"{stem}.png")
            trimap = validate_trimap(imageio.load_gray(args.dataset / trimaps / f"{stem}.png"), image.shape)
            t0 = time.perf_counter()
            alpha, _ = pipeline.matte(image, trimap, method="dlmng")
            fold_rows.append({"image": stem, "method": "dlmng", "fold": k, **all_metrics(alpha, gt, trimap),
                              "seconds": time.perf_counter() - t0})
        cache.write_text(json.dumps(fold_rows, indent=1))
        rows += fold_rows
    return rows


def _auto_masks(args) -> dict[str, np.ndarray]:
    """Every image's soft mask from :data:`AUTO_SEGMENTER` ``(H, W)`` in [0, 1], cached in ``auto_masks``
    (no fold trains a segmenter, so one mask serves every run)."""
    from matting_studio.core import imageio
    from matting_studio.engine.pipeline import Pipeline

    folder = _scores_dir(args) / "auto_masks"
    folder.mkdir(exist_ok=True)
    segmenter, masks = None, {}
    for stem in _all_stems(args.dataset):
        path = folder / f"{stem}.npy"
        if not path.is_file():
            segmenter = segmenter or Pipeline(segmenter=AUTO_SEGMENTER, method="cf")
            np.save(path, segmenter.segment(imageio.load_image(args.dataset / "image" / f"{stem}.png").rgb))
        masks[stem] = np.load(path)
    return masks


def _auto_scores(alpha: np.ndarray, gt: np.ndarray, band: np.ndarray) -> dict[str, float]:
    """Whole-image SAD / MSE (every pixel) and SAD on the benchmark's Trimap1 unknown region (``band``)."""
    from matting_studio.core import metrics
    from matting_studio.core.trimap import UNKNOWN

    whole = np.full(gt.shape, UNKNOWN, np.float32)
    alpha = np.clip(alpha, 0, 1)
    return {"whole SAD": metrics.sad(alpha, gt, whole), "whole MSE": metrics.mse(alpha, gt, whole),
            "band SAD": metrics.sad(alpha, gt, band)}


def _auto_run(args, masks, stems, label: str, fold, pipelines: dict) -> list[dict]:
    """Automatic mode on ``stems`` with each band's ``Pipeline`` (``pipelines``: band → pipeline)."""
    from matting_studio.core import imageio
    from matting_studio.core.trimap import validate_trimap

    rows = []
    for stem in stems:
        image = imageio.load_image(args.dataset / "image" / f"{stem}.png").rgb
        gt = imageio.load_gray(args.dataset / "alpha" / f"{stem}.png")
        band = validate_trimap(imageio.load_gray(args.dataset / "trimap" / f"{stem}.png"), image.shape)
        for name, pipeline in pipelines.items():
            t0 = time.perf_counter()
            alpha = pipeline.run(image, soft_mask=masks[stem]).alpha
            rows.append({"image": stem, "method": label, "band": name, "fold": fold,
                         **_auto_scores(alpha, gt, band), "seconds": time.perf_counter() - t0})
    return rows


def _auto_rows(args) -> list[dict]:
    """Automatic mode (no trimap) out of fold: each image's :data:`AUTO_SEGMENTER` mask → the fixed and the
    adaptive band's trimap → DLMN-G with the weights of the fold run that never saw it. With ``--auto-references``
    also closed-form (fast) and the weights shipped in ``models/`` (trained on all 20 images: in-sample) on the
    same masks, each cached in ``auto_{name}.json``."""
    from matting_studio.engine.pipeline import Pipeline

    masks = _auto_masks(args)
    rows = []
    for k, fold in enumerate(FOLDS):
        weights = args.runs / f"fold{k}" / "model.pt"
        if not weights.is_file():
            continue
        cache = _scores_dir(args) / f"fold{k}_auto.json"
        if not (cache.is_file() and cache.stat().st_mtime > weights.stat().st_mtime):
            pipelines = {b: Pipeline(segmenter=AUTO_SEGMENTER, method="dlmng", weights=weights, band=b)
                         for b in AUTO_BANDS}
            cache.write_text(json.dumps(_auto_run(args, masks, fold, "dlmng", k, pipelines), indent=1))
        rows += json.loads(cache.read_text())
    from matting_studio.engine import weights as bundled

    shipped = bundled.model_path(bundled.LEARNED_WEIGHTS["dlmng"])
    for name, method in (("shipped dlmng (in-sample)", "dlmng"), ("cf", "cf")) if args.auto_references else ():
        cache = _scores_dir(args) / f"auto_{method if name == 'cf' else 'shipped'}.json"
        if not cache.is_file() or (method == "dlmng" and cache.stat().st_mtime < shipped.stat().st_mtime):
            pipelines = {b: Pipeline(segmenter=AUTO_SEGMENTER, method=method, band=b) for b in AUTO_BANDS}
            cache.write_text(json.dumps(_auto_run(args, masks, _all_stems(args.dataset), name, None, pipelines),
                                        indent=1))
        rows += json.loads(cache.read_text())
    return rows


def _auto_report(rows: list[dict]) -> tuple[str, dict]:
    stems = sorted({r["image"] for r in rows if r["method"] == "dlmng"})
    by = {(r["image"], r["method"], r["band"]): r for r in rows}
    keys = [(m, b) for m in dict.fromkeys(r["method"] for r in rows) for b in AUTO_BANDS
            if all((s, m, b) in by for s in stems)]
    means = {f"{m}, {b} band": {k: float(np.mean([by[(s, m, b)][k] for s in stems])) for k in (*AUTO_METRICS, "seconds")}
             for m, b in keys}
    lines = [f"### Automatic mode ({AUTO_SEGMENTER} segmenter, no trimap): mean over {len(stems)} out-of-fold images",
             "", "| method, band | whole SAD | whole MSE | Trimap1-band SAD | s/image |", "|---|---|---|---|---|"]
    for label, v in means.items():
        lines.append(f"| {label} | {v['whole SAD']:.2f} | {v['whole MSE']:.4f} | {v['band SAD']:.2f} | "
                     f"{v['seconds']:.2f} |")
    lines += ["", "| image | " + " | ".join(f"{m}, {b}" for m, b in keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for s in stems:
        lines.append(f"| {s} | " + " | ".join(f"{by[(s, m, b)]['whole SAD']:.2f}" for m, b in keys) + " |")
    return "\n".join(lines), {"means": means, "images": stems, "rows": rows}


def _report(rows: list[dict], trimaps: str) -> tuple[str, dict]:
    stems = sorted({r["image"] for r in rows if r["method"] == "dlmng"})
    by = {(r["image"], r["method"]): r for r in rows}
    methods = ["dlmng"] + [m for m in CLASSICAL if all((s, m) in by for s in stems)]
    means = {m: {k: float(np.mean([by[(s, m)][k] for s in stems])) for k in (*METRICS, "seconds")} for m in methods}
    lines = [f"### {trimaps}: mean over {len(stems)} out-of-fold images", "",
             "| method | SAD | MSE | Grad | Conn | s/image |", "|---|---|---|---|---|---|"]
    for m in methods:
        v = means[m]
        lines.append(f"| {m} | {v['SAD']:.3f} | {v['MSE']:.5f} | {v['Grad']:.2f} | {v['Conn']:.3f} | {v['seconds']:.2f} |")
    if len(methods) == 1:  # --learned-only: per image, no comparison
        lines += ["", "| image | fold | dlmng SAD / MSE |", "|---|---|---|"]
        lines += [f"| {s} | {by[(s, 'dlmng')]['fold']} | {by[(s, 'dlmng')]['SAD']:.2f} / {by[(s, 'dlmng')]['MSE']:.4f} |"
                  for s in stems]
        return "\n".join(lines), {"means": means, "images": stems}
    best = min((m for m in methods if m != "dlmng"), key=lambda m: means[m]["SAD"])
    wins = [s for s in stems if by[(s, "dlmng")]["SAD"] < by[(s, best)]["SAD"]]
    no_worse_cf = [s for s in stems if by[(s, "dlmng")]["SAD"] <= by[(s, "cf")]["SAD"]] if "cf" in methods else []
    lines += ["", f"Best classical method by mean SAD: **{best}**. DLMN-G has the lower SAD on {len(wins)} of "
              f"{len(stems)} images ({', '.join(wins) or 'none'}); no worse than closed-form on {len(no_worse_cf)}.",
              "", "| image | fold | dlmng SAD / MSE | " + f"{best} SAD / MSE | cf SAD / MSE |", "|---|---|---|---|---|"]
    for s in stems:
        d, b, c = by[(s, "dlmng")], by[(s, best)], by.get((s, "cf"), {"SAD": float("nan"), "MSE": float("nan")})
        lines.append(f"| {s} | {d['fold']} | {d['SAD']:.2f} / {d['MSE']:.4f} | {b['SAD']:.2f} / {b['MSE']:.4f} | "
                     f"{c['SAD']:.2f} / {c['MSE']:.4f} |")
    summary = {"means": means, "best_classical": best, "wins": wins, "no_worse_than_cf": no_worse_cf,
               "images": stems}
    return "\n".join(lines), summary


def stage_score(args) -> None:
    sections, summaries = [], {}
    for trimaps in TRIMAPS:
        rows = _learned_rows(args, trimaps) + ([] if args.learned_only else _classical_rows(args, trimaps))
        text, summaries[trimaps] = _report(rows, trimaps)
        summaries[trimaps]["rows"] = rows
        sections.append(text)
    if args.auto:
        text, summaries["auto"] = _auto_report(_auto_rows(args))
        sections.append(text)
    report = "\n\n".join(sections)
    print(report)
    (_scores_dir(args) / "crossval.md").write_text(report + "\n", encoding="utf-8")
    (_scores_dir(args) / "crossval.json").write_text(json.dumps(summaries, indent=1), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--recipe", type=Path, required=True)
    parser.add_argument("--backgrounds", type=Path, action="append", required=True)
    parser.add_argument("--runs", type=Path, required=True)
    parser.add_argument("--stage", choices=("pool", "train", "score", "all"), default="all")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--folds", type=lambda t: [int(x) for x in t.split(",")], default=list(range(len(FOLDS))))
    parser.add_argument("--final", action="store_true", help="also train the recipe on all 20 images")
    parser.add_argument("--learned-only", action="store_true", help="score: the fold runs without the classical rows")
    parser.add_argument("--auto", action="store_true", help="score: also automatic mode (no trimap), out of fold")
    parser.add_argument("--auto-references", action="store_true",
                        help="with --auto: also closed-form and the shipped weights on the same masks")
    args = parser.parse_args()
    args.runs.mkdir(parents=True, exist_ok=True)
    if args.stage in ("pool", "all"):
        stage_pool(args)
    if args.stage in ("train", "all"):
        stage_train(args)
    if args.stage in ("score", "all"):
        stage_score(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
