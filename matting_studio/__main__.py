"""Entry point of the ``matting-studio`` command.

A sub-command runs headless (``matting_studio.cli``, never Qt); no arguments, or only image paths, open the GUI.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from matting_studio import cli

    if cli.wants_cli(args):
        return cli.main(args)
    return _gui(args)


def _gui(paths: list[str]) -> int:
    try:
        from matting_studio.app.main import run  # Qt is imported only here
    except ImportError as exc:  # the GUI is not installed/built yet, or Qt is missing
        from matting_studio import cli

        cli.build_parser().print_usage()
        print(f"matting-studio: the GUI is not available here ({exc}); use a sub-command (--help lists them).",
              file=sys.stderr)
        return 2
    return run(paths)


if __name__ == "__main__":
    sys.exit(main())
