"""Headless command line (never imports Qt). Filled in by the CLI work; see DEVELOPERS.md."""

from __future__ import annotations

import sys

SUBCOMMANDS = ("cutout", "compare", "evaluate", "train", "models", "bench")


def wants_cli(args: list[str]) -> bool:
    """True when ``args`` name a sub-command or a global option (else they are image paths for the GUI)."""
    return bool(args) and (args[0] in SUBCOMMANDS or args[0].startswith("-"))


def main(argv: list[str] | None = None) -> int:
    print("matting-studio: sub-commands are being written", file=sys.stderr)
    return 2
