"""``matting-studio cutout`` for videos and image sequences: the options and the run (``commands`` dispatches
here when the input is a video, or a folder of frames converted into a video)."""

from __future__ import annotations

import sys
from argparse import ArgumentParser, Namespace
from fractions import Fraction
from pathlib import Path
from typing import Callable

from matting_studio.core.errors import MattingError
from matting_studio.video.sources import VIDEO_SUFFIXES, is_video_path
from matting_studio.video.temporal import DEFAULT_STRENGTH


def add_arguments(parser: ArgumentParser) -> None:
    """The video options of ``cutout``."""
    group = parser.add_argument_group(f"video ({', '.join(VIDEO_SUFFIXES)}, or a folder of numbered frames)")
    group.add_argument("--background", metavar="COLOUR|blur|IMAGE|VIDEO",
                       help="new background of every frame: '#rrggbb' or a colour name, 'blur' (the frame "
                            "blurred), an image or a video; none: a transparent video or RGBA PNGs")
    group.add_argument("--smoothing", type=float, default=DEFAULT_STRENGTH, metavar="S",
                       help=f"temporal smoothing where nothing moves, 0 (each frame alone) to <1 "
                            f"(default {DEFAULT_STRENGTH})")
    group.add_argument("--motion-cues", action="store_true",
                       help="give the learned networks the aligned neighbouring frames as motion cues (the shipped "
                            "weights were trained without; see the README)")
    group.add_argument("--no-align", action="store_true", help="do not compensate camera shake (tripod shots)")
    group.add_argument("--fps", type=Fraction, help="frame rate of a folder of frames (default 25)")


def wants_video(args: Namespace) -> bool:
    """True when ``cutout``'s input is one video, or one folder of frames to be written as a video."""
    if len(args.inputs) != 1:
        return False
    source, output = args.inputs[0], args.output
    return is_video_path(source) or (source.is_dir() and output is not None and is_video_path(output))


def default_output(source: Path) -> Path:
    """``clip.mp4`` → ``clip_cutout.webm`` (a transparent video)."""
    return source.with_name(f"{source.stem}_cutout.webm")


def run(args: Namespace, make_pipeline: Callable[[], object]) -> int:
    """Convert the clip; ``make_pipeline()`` builds the ``engine.pipeline.Pipeline`` from the shared options."""
    from tqdm import tqdm

    from matting_studio.video.backgrounds import parse_background
    from matting_studio.video.clip import VideoOptions
    from matting_studio.video.convert import convert

    if args.trimap is not None:
        raise MattingError("--trimap applies to photos; a video's trimaps come from its segmentation.")
    source = args.inputs[0]
    output = args.output or default_output(source)
    background = parse_background(args.background)
    options = VideoOptions(smoothing=args.smoothing, motion_cues=args.motion_cues, align=not args.no_align)
    pipeline = make_pipeline()
    with tqdm(total=1000, desc="video", unit="‰", file=sys.stderr, bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}") as bar:
        def progress(fraction: float, message: str) -> None:
            bar.n = round(1000 * fraction)
            bar.set_description_str(message, refresh=False)
            bar.refresh()

        result = convert(source, output, pipeline=pipeline, background=background, options=options,
                         fps=args.fps, overwrite=args.force, progress=progress)
    resumed = f", resumed at frame {result.resumed_from + 1}" if result.resumed_from else ""
    print(f"{result.path} ({result.frames} frames, {pipeline.method}, matting {result.matting_fps:.2f} frames/s"
          f"{resumed})")
    return 0
