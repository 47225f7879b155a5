"""Entry script of the frozen app (PyInstaller needs a script, not a module): the same ``main`` as the
``matting-studio`` console script."""

import multiprocessing
import sys

from matting_studio.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch / DataLoader workers re-run the binary
    sys.exit(main())
