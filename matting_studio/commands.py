"""Implementations of the ``matting-studio`` sub-commands (argument parsing lives in ``cli``).

Each ``run_<command>(args) -> int`` plans its outputs first and checks them (existing files, outputs that
are inputs, name clashes) before any work, so bad input writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from matting_studio.core import dataset_layout as layout, imageio, registry
from matting_studio.core.atomic import atomic_write_bytes, remove_stale_temps
from matting_studio.core.memory import release_freed_memory
from matting_studio.core.errors import DatasetError, ImageReadError, MattingError, NoSubjectError, OutputExistsError

SUFFIX = "_cutout.png"


# -- helpers ------------------------------------------------------------------------------------------


def _err(message: str) -> None:
    print(f"matting-studio: {message}", file=sys.stderr)


def _expand_inputs(paths: list[Path]) -> tuple[list[Path], bool]:
    """Files from files and folders; returns (images, several) where several means -o is a folder."""
    images: list[Path] = []
    several = len(paths) > 1
    for path in paths:
        if path.is_dir():
            found = imageio.list_images(path)
            if not found:
                raise ImageReadError(f"The folder '{path}' contains no images.")
            images.extend(found)
            several = True
        elif path.exists():
            images.append(path)
        else:
            raise ImageReadError(f"'{path}' does not exist.")
    return images, several


def _check_writable(outputs: list[Path], inputs: list[Path], force: bool, *, skip_existing: bool = False) -> None:
    """Refuse outputs that are inputs or clash; refuse existing ones unless ``force`` or ``skip_existing``."""
    resolved_inputs = {p.resolve() for p in inputs}
    seen: set[Path] = set()
    for out in outputs:
        r = out.resolve()
        if r in resolved_inputs:
            raise OutputExistsError(f"The output '{out}' is one of the inputs; choose another -o.")
        if r in seen:
            raise OutputExistsError(f"Two inputs would write the same output '{out}'; use separate folders.")
        seen.add(r)
        if out.exists() and not (force or skip_existing):
            raise OutputExistsError(f"'{out}' already exists; use --force to overwrite it.")


def _no_subject_hint(segmenter: str) -> str:
    if segmenter == "object":
        return "no subject found; draw a trimap (--trimap)"
    return "no subject found; try --segmenter object or draw a trimap"


def _pipeline(args: Namespace, method: Optional[str] = None):
    from matting_studio.engine.pipeline import Pipeline

    segmenter = getattr(args, "segmenter", "person")
    seg_weights = getattr(args, "segmenter_weights", None)
    if seg_weights and segmenter != "deeplabv3":
        raise MattingError("--segmenter-weights applies to --segmenter deeplabv3 only.")
    return Pipeline(
        segmenter=segmenter,
        segmenter_options={"weights": seg_weights} if seg_weights else None,
        method=method or getattr(args, "method", None),
        device=args.device,
        fast=args.fast,
        weights=getattr(args, "weights", None),
        ssrn_weights=getattr(args, "ssrn_weights", None),
        band=getattr(args, "band", "fixed"),
    )


def _progress_bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="img", disable=total < 2, file=sys.stderr)


def _fetch_on_first_use(pipeline) -> None:
    """Fetch the person segmenter's model before the first image (first run only), with progress on stderr."""
    from matting_studio.engine import weights

    if pipeline.segmenter_name != "person" or weights.is_available(weights.SELFIE.name):
        return
    _err("fetching the selfie segmentation model (first use only)")
    shown = [-1]

    def show(fraction: float, message: str) -> None:  # a line per 5 %, not per poll
        if int(fraction * 20) != shown[0]:
            shown[0] = int(fraction * 20)
            print(f"  {fraction:4.0%} {message}", file=sys.stderr)

    weights.ensure_weights(weights.SELFIE.name, progress=show)


# -- cutout -------------------------------------------------------------------------------------------


def _trimap_for(image: Path, trimap_arg: Optional[Path], several: bool) -> Optional[Path]:
    if trimap_arg is None:
        return None
    if trimap_arg.is_dir():
        for suffix in imageio.IMAGE_SUFFIXES:
            candidate = trimap_arg / f"{image.stem}{suffix}"
            if candidate.is_file():
                return candidate
        raise ImageReadError(f"No trimap for '{image.name}' in '{trimap_arg}'.")
    if several:
        raise ImageReadError("--trimap must be a folder when several images are cut out.")
    if not trimap_arg.is_file():
        raise ImageReadError(f"The trimap '{trimap_arg}' does not exist.")
    return trimap_arg


def run_cutout(args: Namespace) -> int:
    from matting_studio.video import command as video_command

    if video_command.wants_video(args):
        return video_command.run(args, lambda: _pipeline(args))
    images, several = _expand_inputs(args.inputs)
    if several:
        if args.output is not None and args.output.exists() and not args.output.is_dir():
            raise OutputExistsError(f"-o '{args.output}' must be a folder when several images are cut out.")
        outputs = [(args.output / f"{p.stem}.png") if args.output else p.with_name(p.stem + SUFFIX) for p in images]
    elif args.output is None:
        outputs = [images[0].with_name(images[0].stem + SUFFIX)]
    elif args.output.is_dir() or str(args.output).endswith(os.sep):
        outputs = [args.output / f"{images[0].stem}.png"]
    else:
        outputs = [args.output if args.output.suffix.lower() == ".png" else args.output.with_suffix(".png")]
    trimaps = [_trimap_for(p, args.trimap, several) for p in images]
    _check_writable(outputs, images + [t for t in trimaps if t], args.force, skip_existing=several)
    for folder in {out.parent for out in outputs}:  # what a killed earlier run was writing
        remove_stale_temps(folder)
    jobs = list(zip(images, trimaps, outputs))
    if several and not args.force:  # a rerun (after a stop or a kill) finishes the batch
        jobs = [job for job in jobs if not job[2].exists()]
        if len(jobs) < len(images):
            print(f"{len(images) - len(jobs)} done, {len(jobs)} to go (existing outputs are kept; --force redoes them)")

    pipeline = _pipeline(args)
    if any(t is None for t in trimaps):
        _fetch_on_first_use(pipeline)
    from matting_studio.core.compositing import cutout_rgba

    failures = 0
    with _progress_bar(len(jobs), "cutout") as bar:
        for image_path, trimap_path, out in jobs:
            try:
                image = imageio.load_image(image_path).rgb
                trimap = imageio.load_gray(trimap_path) if trimap_path else None
                result = pipeline.run(image, trimap=trimap)
                if not result.subject_found:
                    raise NoSubjectError(f"{image_path}: {_no_subject_hint(pipeline.segmenter_name)}.")
                imageio.save_png(out, cutout_rgba(result.foreground, result.alpha), bits=args.bits,
                                 overwrite=args.force, inputs=[image_path])
                for warning in result.warnings:
                    _err(f"{image_path.name}: {warning}")
                if not several:
                    secs = sum(result.timings.values())
                    print(f"{out} ({result.method}, {secs:.1f} s)")
            except MattingError as exc:
                if not several:
                    raise
                failures += 1
                _err(str(exc) if isinstance(exc, NoSubjectError) else f"{image_path}: {exc}")
            release_freed_memory()  # a long batch holds flat memory (core.memory)
            bar.update(1)
    if several:
        print(f"wrote {len(jobs) - failures} cut-out(s) to {outputs[0].parent if args.output else 'the input folders'}"
              + (f"; {failures} failed" if failures else ""))
    return 1 if failures else 0


# -- compare ------------------------------------------------------------------------------------------


def run_compare(args: Namespace) -> int:
    from matting_studio.core.compositing import cutout_rgba
    from matting_studio.core.contact_sheet import Tile, render_sheet
    from matting_studio.engine.pipeline import available_methods

    out = args.output if args.output.suffix.lower() == ".png" else args.output.with_suffix(".png")
    inputs = [args.image] + ([args.trimap] if args.trimap else [])
    if not args.image.is_file():
        raise ImageReadError(f"'{args.image}' does not exist or is not a file.")
    if args.trimap and not args.trimap.is_file():
        raise ImageReadError(f"The trimap '{args.trimap}' does not exist.")
    _check_writable([out], inputs, args.force)
    methods = args.methods or ([m for m in available_methods() if m in registry.LEARNED]
                               + list(registry.COMPARED_BY_DEFAULT))

    image = imageio.load_image(args.image).rgb
    pipeline = _pipeline(args, method="cf")
    tiles = [Tile(image, "input", f"{image.shape[1]}x{image.shape[0]}")]
    soft_mask = None
    if args.trimap:
        from matting_studio.core.trimap import validate_trimap

        trimap = validate_trimap(imageio.load_gray(args.trimap), image.shape)
        tiles.append(Tile(trimap, "trimap", args.trimap.name))
    else:
        t0 = time.perf_counter()
        soft_mask = pipeline.segment(image)
        tiles.append(Tile(soft_mask, "soft segmentation", f"{args.segmenter}, {time.perf_counter() - t0:.2f} s"))
        trimap = pipeline.make_trimap(soft_mask, image=image)
        tiles.append(Tile(trimap, "trimap", "automatic"))
    for name in methods:
        t0 = time.perf_counter()
        alpha, fg = pipeline.matte(image, trimap, method=name, soft_mask=soft_mask)
        secs = time.perf_counter() - t0
        tiles.append(Tile(alpha, f"{name} alpha", f"{secs:.2f} s"))
        tiles.append(Tile(cutout_rgba(fg, alpha), f"{name} cut-out", ""))
        print(f"{name}: {secs:.2f} s")
    sheet = render_sheet(tiles, columns=4, title=f"{args.image.name}: {', '.join(methods)}")
    imageio.save_png(out, sheet, overwrite=args.force, inputs=inputs)
    print(out)
    return 0


# -- evaluate -----------------------------------------------------------------------------------------


@dataclass
class _Sample:
    stem: str
    image: Path
    alpha: Path
    trimap: Path


def dataset_samples(root: Path, trimap_folder: str = "trimap", stems: Optional[list[str]] = None) -> list[_Sample]:
    """Pair ``image/NAME.*`` with ``alpha/NAME.*`` and ``<trimap_folder>/NAME.*`` (clear errors otherwise)."""
    found = {p["stem"]: p for p in layout.pairs(root, [], [layout.ALPHA, trimap_folder])}
    wanted = sorted(found) if stems is None else stems
    samples = []
    for stem in wanted:
        if stem not in found:
            raise DatasetError(f"No image named '{stem}' in '{root / layout.IMAGE}'.")
        for name in (layout.ALPHA, trimap_folder):
            if found[stem][name] is None:
                raise DatasetError(f"'{stem}' has no matching file in '{root / name}'.")
        samples.append(_Sample(stem, found[stem][layout.IMAGE], found[stem][layout.ALPHA], found[stem][trimap_folder]))
    if not samples:
        raise DatasetError(f"'{root / layout.IMAGE}' contains no images.")
    return samples


def _format_table(rows: list[dict], keys: list[str]) -> str:
    header = f"{'image':<14}{'method':<8}" + "".join(f"{k:>10}" for k in keys)
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r['image']:<14}{r['method']:<8}" + "".join(f"{r[k]:>10.4g}" for k in keys))
    return "\n".join(lines)


def _warm_up_example() -> tuple[np.ndarray, np.ndarray]:
    """A small synthetic image (a soft disc on a gradient) and its trimap."""
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    r = np.hypot(yy - 32, xx - 32)
    alpha = np.clip(12 - r, 0, 1)[..., None]
    image = alpha * np.float32([0.9, 0.4, 0.2]) + (1 - alpha) * (xx[..., None] / 64)
    trimap = np.where(r < 9, 1.0, np.where(r > 14, 0.0, 0.5)).astype(np.float32)
    return np.clip(image, 0, 1).astype(np.float32), trimap


def run_evaluate(args: Namespace) -> int:
    from matting_studio.core.metrics import all_metrics
    from matting_studio.core.trimap import validate_trimap

    stems = [s.strip() for s in args.images.split(",") if s.strip()] if args.images else None
    samples = dataset_samples(args.dataset, args.trimaps, stems)
    outs = [p for p in (args.json, args.csv) if p is not None]
    _check_writable(outs, [], args.force)
    pipelines = {m: _pipeline(args, method=m) for m in args.methods}
    # Warm-up, not timed: loads the networks and compiles the solvers' kernels once, so ``seconds`` is the
    # per-image time a user sees after the first image.
    warm_image, warm_trimap = _warm_up_example()
    for method in args.methods:
        pipelines[method].matte(warm_image, warm_trimap, method=method)
    keys = ["SAD", "MSE", "Grad", "Conn", "seconds"]
    rows: list[dict] = []
    with _progress_bar(len(samples) * len(args.methods), "evaluate") as bar:
        for sample in samples:
            image = imageio.load_image(sample.image).rgb
            gt = imageio.load_gray(sample.alpha)
            trimap = validate_trimap(imageio.load_gray(sample.trimap), image.shape)
            if gt.shape != image.shape[:2]:
                raise DatasetError(f"The alpha of '{sample.stem}' is not the size of its image.")
            for method in args.methods:
                t0 = time.perf_counter()
                alpha, _ = pipelines[method].matte(image, trimap, method=method)
                secs = time.perf_counter() - t0
                row = {"image": sample.stem, "method": method, **all_metrics(alpha, gt, trimap), "seconds": secs}
                rows.append({k: (float(v) if k in keys else v) for k, v in row.items()})
                bar.update(1)
    print(_format_table(rows, keys))
    means = [{"image": "MEAN", "method": m,
              **{k: float(np.mean([r[k] for r in rows if r["method"] == m])) for k in keys}} for m in args.methods]
    print()
    print(_format_table(means, keys))
    if args.json:
        _write_text(args.json, json.dumps(rows, indent=2), args.force)
    if args.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["image", "method"] + keys)
        writer.writeheader()
        writer.writerows(rows)
        _write_text(args.csv, buffer.getvalue(), args.force)
    return 0


def _write_text(path: Path, text: str, force: bool) -> None:
    """Atomic text write (temp file + rename) that refuses to overwrite unless ``force``."""
    if path.exists() and not force:
        raise OutputExistsError(f"'{path}' already exists; use --force to overwrite it.")
    atomic_write_bytes(path, text.encode("utf-8"))


# -- train --------------------------------------------------------------------------------------------


# CLI option (argparse dest) -> TrainConfig field, where the names differ
TRAIN_FIELDS = {"synthetic": "synthetic_fraction", "real": "real_fraction", "data": "data_dir",
                "backgrounds": "backgrounds_dir", "out": "out_dir", "unlabelled": "unlabelled_dir",
                "init": "init_weights", "pool": "pool_dir"}


def train_config(args: Namespace):
    """The run's :class:`TrainConfig`: the recipe file (``--config``), then the options given on the command
    line; validated by the config itself."""
    from matting_studio.training.config import TRAIN_SETTINGS, TrainConfig, load_recipe

    values = load_recipe(args.config) if args.config else {}
    values["model"] = args.model
    given = vars(args)
    for dest in ["data", "backgrounds", "out", "unlabelled", "teacher", "init", "pool", "resume"] + \
            [flag[2:].replace("-", "_") for flag, _, _ in TRAIN_SETTINGS]:
        if dest in given and (given[dest] is not None or dest not in TRAIN_FIELDS):
            values[TRAIN_FIELDS.get(dest, dest)] = given[dest]
    values.setdefault("data_dir", None)
    if "val_images" in given:
        values["val_stems"] = [s for s in given["val_images"].split(",") if s]
    return TrainConfig.from_dict(values)


def run_train(args: Namespace) -> int:
    from matting_studio.training.trainer import run_training

    config = train_config(args)
    for path in [config.data_dir, config.unlabelled_dir, config.teacher, *config.backgrounds_dir]:
        if path is not None and not path.exists():
            raise DatasetError(f"'{path}' does not exist.")
    from matting_studio.training.checkpoints import has_checkpoints, latest_complete

    if has_checkpoints(config.out_dir) and not config.resume:
        raise OutputExistsError(f"'{config.out_dir}' already holds a training run; use --resume or another --out.")
    if config.resume:
        latest_complete(config.out_dir)  # unreadable checkpoints fail here, before the slow set-up
    from tqdm import tqdm

    bar = tqdm(total=config.steps, desc=f"train {args.model}", unit="step", file=sys.stderr)

    def on_event(event) -> None:
        if event.kind == "step":
            bar.n = event.step
            bar.set_postfix(loss=f"{event.losses.get('total', float('nan')):.4f}", refresh=False)
            bar.refresh()
        elif event.kind == "validation":
            bar.write(f"step {event.step}: " + ", ".join(f"{k} {v:.4g}" for k, v in event.metrics.items()))
        elif event.kind == "checkpoint":
            bar.write(f"checkpoint {event.path}")
        elif event.kind == "preparing" and (event.step % 25 == 0 or event.step == event.total_steps):
            bar.write(f"sample pool: {event.step} of {event.total_steps} made")
        elif event.kind == "resumed":
            bar.write(f"resuming from {event.path} (step {event.step})")

    try:
        run_training(config, on_event=on_event)
    finally:
        bar.close()
    print(f"done: {config.out_dir}")
    return 0


# -- models -------------------------------------------------------------------------------------------


def run_models(args: Namespace) -> int:
    from matting_studio.engine import weights

    names = args.names or [spec.name for spec in weights.REGISTRY.values()]
    for name in names:
        weights.get_spec(name)  # unknown names fail before any work
    if args.action == "path":
        print(weights.cache_dir() if not args.names else "\n".join(str(weights.model_path(n)) for n in names))
        return 0
    if args.action == "list":
        for spec, status in weights.list_models():
            if spec.name in names:
                print(f"{spec.name:<22}{status:<12}{spec.licence:<14}{spec.description}")
        return 0
    failures = 0
    for name in names:
        if args.action == "fetch":
            path = weights.fetch(name, progress=lambda f, m: print(f"  {f:4.0%} {m}", file=sys.stderr))
            print(f"{name}: {path}")
        else:
            result = weights.verify(name)
            print(f"{name}: {result}")
            failures += not result.ok
    return 1 if failures else 0
