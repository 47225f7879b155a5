"""Headless command line: ``cutout``, ``compare``, ``evaluate``, ``train``, ``models``. Never imports Qt.

Every deliberate failure (:class:`~matting_studio.core.errors.MattingError`) is one line on stderr and exit
status 2; nothing is written for bad input and no existing file is overwritten without ``--force``.
Heavy modules (torch, pymatting) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from matting_studio import __version__
from matting_studio.core.errors import MattingError
from matting_studio.core.registry import CLASSICAL, COMPARED_BY_DEFAULT, DEFAULT_SEGMENTER, DEVICES, LEARNED, SEGMENTER_NAMES
from matting_studio.training.config import TRAIN_SETTINGS
from matting_studio.video import command as video_command

SUBCOMMANDS = ("cutout", "compare", "evaluate", "train", "models")
EXIT_ERROR = 2


class UsageError(MattingError):
    """Bad command-line usage."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line (no usage dump, no traceback)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise UsageError(f"{message} (see '{self.prog} --help')")


def wants_cli(args: Sequence[str]) -> bool:
    """True when ``args`` name a sub-command or an option (otherwise they are image paths for the GUI)."""
    return bool(args) and (args[0] in SUBCOMMANDS or args[0].startswith("-"))


def _method_list(text: str) -> list[str]:
    names = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in names if m not in CLASSICAL + LEARNED]
    if bad or not names:
        raise UsageError(
            f"unknown method '{', '.join(bad) or text}'; choose from {', '.join(CLASSICAL + LEARNED)}"
        )
    return names


def _shared_options() -> dict[str, argparse.ArgumentParser]:
    """Options several sub-commands take, declared once (argparse parent parsers)."""
    device = _Parser(add_help=False)
    device.add_argument("--device", default="auto", choices=DEVICES)
    learned = _Parser(add_help=False)
    learned.add_argument("--weights", type=Path, help="DLMN-G checkpoint to use for dlmng/ssrn")
    learned.add_argument("--ssrn-weights", type=Path, help="SSRN checkpoint to use for ssrn")
    segmenter = _Parser(add_help=False)
    segmenter.add_argument("--segmenter", default=DEFAULT_SEGMENTER, choices=SEGMENTER_NAMES,
                           help="soft segmentation for auto mode (no trimap)")
    segmenter.add_argument("--segmenter-weights", metavar="FILE|default",
                           help="DeepLabV3 weights: a state-dict file, or 'default' for torchvision's download")
    return {"device": device, "learned": learned, "segmenter": segmenter}


def build_parser() -> argparse.ArgumentParser:
    shared = _shared_options()
    parser = _Parser(
        prog="matting-studio",
        description="Cut subjects out of photos. Without a sub-command (or with image paths) the GUI opens.",
    )
    parser.add_argument("--version", action="version", version=f"matting-studio {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("cutout", help="write RGBA cut-outs of images or folders",
                       parents=[shared["segmenter"], shared["device"], shared["learned"]])
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="image files or folders")
    p.add_argument("-o", "--output", type=Path, help="output file (one input) or folder")
    p.add_argument("--method", default=None, choices=CLASSICAL + LEARNED,
                   help="matting method (default: cf, or the learned pipeline once its weights are marked default)")
    p.add_argument("--trimap", type=Path, help="trimap file (one input) or folder of trimaps named like the images")
    p.add_argument("--band", default="fixed", choices=("fixed", "adaptive"),
                   help="auto mode's unknown band: fixed width, or wide on hair and where the mask is unsure")
    p.add_argument("--fast", action="store_true", help="classical methods: solve the unknown band at reduced cost")
    p.add_argument("--bits", type=int, default=8, choices=(8, 16), help="PNG bit depth")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    video_command.add_arguments(p)

    p = sub.add_parser("compare", help="contact sheet comparing methods on one image",
                       parents=[shared["segmenter"], shared["device"], shared["learned"]])
    p.add_argument("image", type=Path)
    p.add_argument("--trimap", type=Path, help="trimap (default: automatic from the segmentation)")
    p.add_argument("--methods", type=_method_list, default=None, help="comma-separated, e.g. cf,knn,rw")
    p.add_argument("-o", "--output", type=Path, required=True, help="sheet PNG to write")
    p.add_argument("--fast", action="store_true")
    p.add_argument("--force", action="store_true")

    p = sub.add_parser("evaluate", help="score methods against ground truth (image/, alpha/, trimap/); "
                                        "seconds are per image, after one untimed warm-up run per method",
                       parents=[shared["device"], shared["learned"]])
    p.add_argument("dataset", type=Path)
    p.add_argument("--methods", type=_method_list, default=list(COMPARED_BY_DEFAULT))
    p.add_argument("--trimaps", default="trimap", help="trimap folder name inside DATASET (e.g. trimap2)")
    p.add_argument("--images", default=None, help="comma-separated image stems to evaluate (default: all)")
    p.add_argument("--json", type=Path, help="write rows as JSON")
    p.add_argument("--csv", type=Path, help="write rows as CSV")
    p.add_argument("--fast", action="store_true")
    p.add_argument("--force", action="store_true", help="overwrite existing --json/--csv files")

    p = sub.add_parser("train", help="train DLMN-G or SSRN")
    p.add_argument("model", choices=LEARNED)
    p.add_argument("--config", type=Path, metavar="RECIPE.json",
                   help="a recipe file of training settings (e.g. models/dlmng-lite.recipe.json); options given "
                        "here override it")
    p.add_argument("--data", type=Path, help="foregrounds: image/ + alpha/ (+ fg/); optional with --synthetic")
    p.add_argument("--backgrounds", type=Path, action="append", required=True, help="background images (repeatable)")
    p.add_argument("--out", type=Path, required=True, help="folder for checkpoints and curves")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--unlabelled", type=Path, help="real photos without alpha (SSRN)")
    p.add_argument("--teacher", type=Path, help="DLMN-G weights used as SSRN's teacher")
    p.add_argument("--val-images", default=argparse.SUPPRESS,
                   help="comma-separated stems held out for validation ('' trains on every image)")
    p.add_argument("--init", type=Path, help="start from these weights (fine-tuning)")
    p.add_argument("--pool", type=Path, help="DLMN-G: a folder of precomputed samples, made where missing and "
                                             "shared by runs on the same data")
    hyper = p.add_argument_group("training settings (override the recipe; defaults: training/config.py)")
    for flag, kind, text in TRAIN_SETTINGS:
        hyper.add_argument(flag, type=kind, default=argparse.SUPPRESS, help=text)

    p = sub.add_parser("models", help="list, fetch or verify model weights")
    p.add_argument("action", choices=("list", "fetch", "verify", "path"))
    p.add_argument("names", nargs="*", help="model names (default: all)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 0
        from matting_studio import commands

        return getattr(commands, f"run_{args.command}")(args)
    except MattingError as exc:
        print(f"matting-studio: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("matting-studio: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("matting-studio: out of memory; try --fast or a smaller image", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bug: still one line, full traceback on request
        if os.environ.get("MATTING_STUDIO_DEBUG"):
            raise
        print(f"matting-studio: internal error: {type(exc).__name__}: {exc} "
              "(set MATTING_STUDIO_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
