"""Video matting on synthetic clips with known alpha: per-frame SAD / MSE, flicker, frames per second.

    python benchmarks/video.py [--data ../shared/data] [--subjects GT05,GT13,GT18,GT25] [--speed-frames 16]
                               [--runs RUNS [--runs RUNS2]]

1. Quality and flicker (trimap mode): a ground-truth foreground of ``alphamatting_dev`` moves over a real
   background photo — 4 still frames, 4 frames moving 3 px each, 4 still —
   with sensor noise (σ = 0.01) and an H.264 round trip. Its Trimap1 moves with it. Reported per variant: mean
   per-frame SAD and MSE (unknown region) and the flicker: the mean absolute alpha change between consecutive
   frames of the still segments (where the truth does not change), over the unknown region, ×1000.
   Variants: ``photo`` (each frame alone, its grayscale repeated as motion cues, as for one photo — matting
   each frame alone), ``cues`` (the aligned neighbours as motion cues), ``+smooth`` (temporal smoothing).
   The shipped weights were trained on all 20 images, so these subjects are in their training set. With
   ``--runs`` (a ``benchmarks/crossval.py`` runs folder; repeat it to compare recipes in one run) each subject is
   matted by the weights of the fold run that held it out: foregrounds the network never saw.
2. Flicker in automatic mode (person segmentation → trimap → matting) on a still portrait clip (noise + H.264):
   whole-frame mean absolute alpha change between frames, ×1000, without and with smoothing.
3. Speed: ``convert`` end to end (decode, align, segment, matte, cache, composite onto a photo, encode H.264)
   on a slowly panning portrait at 720p and 1080p; matting frames/s and end-to-end frames/s, with the load
   average (the machine is shared: figures under load are lower than on an idle machine).
4. Memory over a long clip: ``convert`` of a ``--long-frames`` (1000) frame 320×240 clip, written frame by
   frame, onto a photo; the process's resident memory (``VmRSS``, sampled every 0.2 s) after the first 10 % of
   the frames and over the last 10 %, and the peak. Streaming keeps it flat: no frame list is ever held.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matting_studio.classical import estimate_foreground  # noqa: E402
from matting_studio.core import imageio  # noqa: E402
from matting_studio.core.compositing import composite, image_background  # noqa: E402
from matting_studio.core.metrics import mse, sad  # noqa: E402
from matting_studio.engine.pipeline import Pipeline  # noqa: E402
from matting_studio.video.backgrounds import Background  # noqa: E402
from matting_studio.video.clip import VideoOptions, matte_frames  # noqa: E402
from matting_studio.video.convert import MATTING_SHARE, convert  # noqa: E402
from matting_studio.video.sinks import VideoSink  # noqa: E402
from matting_studio.video.sources import open_source  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
STILL, MOVING, STEP = 4, 4, 3  # frames still, frames moving, px per moving frame
NOISE = 0.01
CANVAS = (240, 320)  # (H, W) of the quality clips (small: the benchmark must run on a loaded 2-core machine)


def offsets() -> list[int]:
    """Horizontal position of the subject per frame: still, moving, still."""
    xs = [0] * STILL + [STEP * (i + 1) for i in range(MOVING)]
    return xs + [xs[-1]] * STILL


def still_pairs() -> list[int]:
    """Frame indices t whose pair (t-1, t) lies inside a still segment."""
    xs = offsets()
    return [t for t in range(1, len(xs)) if xs[t] == xs[t - 1] and t not in (STILL, STILL + MOVING)]


def shift(arr: np.ndarray, dx: int, nearest: bool = False) -> np.ndarray:
    h, w = arr.shape[:2]
    return cv2.warpAffine(arr, np.float32([[1, 0, dx], [0, 1, 0]]), (w, h),
                          flags=cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def through_h264(frames: list[np.ndarray], folder: Path, name: str) -> list[np.ndarray]:
    """Noise, then an H.264 round trip (what a camera clip looks like to the decoder)."""
    rng = np.random.default_rng(0)
    path = folder / f"{name}.mp4"
    h, w = frames[0].shape[:2]
    with VideoSink(path, fps=Fraction(25), size=(w, h), overwrite=True) as sink:
        for frame in frames:
            sink.write(np.clip(frame + rng.normal(0, NOISE, frame.shape), 0, 1))
    return list(open_source(path).frames())


def subject_clip(data: Path, stem: str, background: np.ndarray, folder: Path):
    """Frames, true alphas and trimaps of one alphamatting subject moving over ``background``."""
    ds = data / "alphamatting_dev"
    image = imageio.load_image(ds / "image" / f"{stem}.png").rgb
    alpha = imageio.load_gray(ds / "alpha" / f"{stem}.png")
    trimap = imageio.load_gray(ds / "trimap" / f"{stem}.png")
    h, w = CANVAS
    scale = min(h / image.shape[0], (w - STEP * MOVING) / image.shape[1])
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    image, alpha = cv2.resize(image, size, interpolation=cv2.INTER_AREA), cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    fg = estimate_foreground(image, alpha)
    pad = lambda a: np.pad(a, ((0, h - size[1]), (0, w - size[0])) + ((0, 0),) * (a.ndim - 2))
    fg_c, alpha_c = pad(fg), pad(alpha)
    tri_c = pad(np.round(cv2.resize(trimap, size, interpolation=cv2.INTER_NEAREST) * 2) / 2)
    frames, alphas, trimaps = [], [], []
    for dx in offsets():
        a = np.clip(shift(alpha_c, dx), 0, 1)
        frames.append(composite(shift(fg_c, dx), a, background))
        alphas.append(a)
        trimaps.append(shift(tri_c, dx, nearest=True))
    return through_h264(frames, folder, stem), alphas, trimaps


def held_out_weights(runs: Path, stem: str) -> Path:
    """The last weights of the cross-validation fold run that held ``stem`` out (``RUNS/fold{k}/model.pt``)."""
    from crossval import FOLDS

    fold = next((k for k, held in enumerate(FOLDS) if stem in held), None)
    path = runs / f"fold{fold}" / "model.pt"
    if fold is None or not path.is_file():
        raise SystemExit(f"video.py: no fold run holding {stem} out in {runs} ({path} missing)")
    return path


def quality(data: Path, stems: list[str], folder: Path, runs: list[Path] | None = None) -> None:
    if not runs:
        shipped = Pipeline(device="cpu")
        print("weights: models/ (trained on all 20 images: these subjects are in their training set)")
        quality_of(data, stems, folder, lambda stem: shipped)
    for recipe in runs or ():
        print(f"weights: the fold runs of {recipe} (each subject matted by the run that held it out)")
        quality_of(data, stems, folder,
                   lambda stem, r=recipe: Pipeline(device="cpu", weights=held_out_weights(r, stem)))


def quality_of(data: Path, stems: list[str], folder: Path, pipeline_for) -> None:
    background = image_background(imageio.load_image(data / "backgrounds" / "beach.png").rgb, CANVAS)
    pipeline = pipeline_for(stems[0])
    strength = VideoOptions().smoothing
    variants = {"photo": VideoOptions(smoothing=0.0, motion_cues=False),
                "photo+smooth": VideoOptions(smoothing=strength, motion_cues=False),
                "cues": VideoOptions(smoothing=0.0, motion_cues=True),
                "cues+smooth": VideoOptions(smoothing=strength, motion_cues=True)}
    pairs = still_pairs()
    print(f"1. trimap mode, {pipeline.method}, {CANVAS[1]}x{CANVAS[0]}, {len(offsets())} frames "
          f"({STILL} still, {MOVING} moving {STEP} px/frame, {STILL} still), noise {NOISE} + H.264")
    print(f"{'subject':8s} {'variant':12s} {'SAD':>7s} {'MSE':>8s} {'flicker':>8s}")
    totals = {name: [] for name in variants}
    for stem in stems:
        pipeline = pipeline_for(stem)
        frames, alphas, trimaps = subject_clip(data, stem, background, folder)
        for name, options in variants.items():
            preds = [m.alpha for m in matte_frames(frames, pipeline, options, trimaps=trimaps)]
            sads = [sad(p, a, t) for p, a, t in zip(preds, alphas, trimaps)]
            mses = [mse(p, a, t) for p, a, t in zip(preds, alphas, trimaps)]
            flick = 1000 * np.mean([np.abs(preds[t] - preds[t - 1])[trimaps[t] == 0.5].mean() for t in pairs])
            truth = 1000 * np.mean([np.abs(alphas[t] - alphas[t - 1])[trimaps[t] == 0.5].mean() for t in pairs])
            totals[name].append((np.mean(sads), np.mean(mses), flick))
            print(f"{stem:8s} {name:12s} {np.mean(sads):7.2f} {np.mean(mses):8.4f} {flick:8.3f}   (truth {truth:.3f})",
                  flush=True)
    for name, rows in totals.items():
        s, m, f = np.mean(rows, axis=0)
        print(f"{'mean':8s} {name:12s} {s:7.2f} {m:8.4f} {f:8.3f}")


def portrait(data: Path, size: tuple[int, int], frames: int, pan: int = 0) -> list[np.ndarray]:
    """The public-domain astronaut portrait at ``size`` (W, H), panning ``pan`` px per frame."""
    image = imageio.load_image(data / "portraits" / "image" / "astronaut.png").rgb
    w, h = size
    big = cv2.resize(image, (w + pan * frames, h + pan * frames // 2), interpolation=cv2.INTER_AREA)
    return [big[i * pan // 2:i * pan // 2 + h, i * pan:i * pan + w] for i in range(frames)]


def auto_flicker(data: Path, folder: Path) -> None:
    frames = through_h264(portrait(data, (CANVAS[1], CANVAS[0]), 10), folder, "portrait_still")
    pipeline = Pipeline(device="cpu")
    print(f"\n2. automatic mode ({pipeline.segmenter_name} → trimap → {pipeline.method}), a still portrait "
          f"{CANVAS[1]}x{CANVAS[0]}, 10 frames, noise {NOISE} + H.264; mean |Δα| between frames ×1000 (truth: 0)")
    for smoothing in (0.0, VideoOptions().smoothing):
        preds = [m.alpha for m in matte_frames(frames, pipeline, VideoOptions(smoothing=smoothing))]
        flick = 1000 * np.mean([np.abs(b - a).mean() for a, b in zip(preds[:-1], preds[1:])])
        edge = 1000 * np.mean([np.abs(b - a)[(a > 0.02) & (a < 0.98)].mean() for a, b in zip(preds[:-1], preds[1:])])
        print(f"smoothing {smoothing:.1f}: whole frame {flick:.3f}, soft pixels {edge:.3f}", flush=True)


def speed(data: Path, folder: Path, count: int) -> None:
    print(f"\n3. convert end to end ({os.cpu_count()} CPUs), portrait panning 2 px/frame, {count} frames, "
          "onto beach.png, H.264")
    background = Background("image", data / "backgrounds" / "beach.png")
    for name, size in (("720p", (1280, 720)), ("1080p", (1920, 1080))):
        clip = folder / f"pan_{name}.mp4"
        with VideoSink(clip, fps=Fraction(25), size=size, overwrite=True) as sink:
            for frame in portrait(data, size, count, pan=2):
                sink.write(frame)
        pipeline = Pipeline(device="cpu")
        pipeline.run(portrait(data, size, 1)[0])  # load the models: not part of the clip's time
        load, cpu0 = os.getloadavg()[0], time.process_time()
        result = convert(clip, folder / f"out_{name}.mp4", pipeline=pipeline, background=background, overwrite=True)
        cpu = (time.process_time() - cpu0) / result.frames
        print(f"{name}: matting {result.matting_fps:.2f} frames/s, end to end {result.frames / result.total_seconds:.2f}"
              f" frames/s (wall clock); {cpu:.2f} CPU-s per frame (all threads); load average {load:.1f} → "
              f"{os.getloadavg()[0]:.1f}", flush=True)


def long_clip(data: Path, folder: Path, count: int) -> None:
    import threading

    from long_runs import _rss_mb  # benchmarks/ is on the path when this script runs

    h, w = CANVAS
    print(f"\n4. memory over a long clip: convert {count} frames of {w}x{h} onto beach.png (RSS sampled every 0.2 s)")
    clip = folder / "long.mp4"
    still = portrait(data, (w + count // 4, h), 1)[0]
    with VideoSink(clip, fps=Fraction(25), size=(w, h), overwrite=True) as sink:
        for i in range(count):  # a slow pan over a wide still, one frame at a time
            x = (i // 4) % (count // 4)
            sink.write(np.ascontiguousarray(still[:, x:x + w]))
    done, samples, stop = [0], [], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((done[0], _rss_mb(os.getpid())))
            time.sleep(0.2)

    def progress(fraction: float, _message: str = "") -> None:  # frames matted (encoding comes after)
        done[0] = min(count, int(fraction / MATTING_SHARE * count))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    try:
        result = convert(clip, folder / "long_out.mp4", pipeline=Pipeline(device="cpu"), overwrite=True,
                         background=Background("image", data / "backgrounds" / "beach.png"), progress=progress)
    finally:
        stop.set()
        sampler.join()
    tenth = max(1, count // 10)
    early = max(r for k, r in samples if k <= tenth)
    late = max(r for k, r in samples if k >= count - tenth)
    print(f"{result.frames} frames in {time.perf_counter() - t0:.0f} s: RSS after the first 10 % {early:.0f} MB, "
          f"over the last 10 % {late:.0f} MB (growth {late - early:+.0f} MB), peak {max(r for _, r in samples):.0f} MB",
          flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--subjects", default="GT05,GT13,GT18,GT25")
    parser.add_argument("--speed-frames", type=int, default=8)
    parser.add_argument("--long-frames", type=int, default=1000)
    parser.add_argument("--parts", default="1,2,3", help="which parts to run, e.g. 3 (4: the long clip's memory)")
    parser.add_argument("--runs", type=Path, action="append", default=None,
                        help="part 1: a crossval.py runs folder; each subject matted by the fold run that held it out")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "1" in parts:
            quality(args.data, args.subjects.split(","), folder, args.runs)
        if "2" in parts:
            auto_flicker(args.data, folder)
        if "3" in parts:
            speed(args.data, folder, args.speed_frames)
        if "4" in parts:
            long_clip(args.data, folder, args.long_frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
