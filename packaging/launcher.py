"""Entry script of the frozen app (PyInstaller needs a script, not a module): the same ``main`` as the
``matting-studio`` console script."""

import multiprocessing
import os
import sys

from matting_studio.classical.child_pool import CHILD_ENV, child_main
from matting_studio.classical.pymatting_warmup import WARM_UP_ENV, compile_under_lock

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch / DataLoader workers re-run the binary
    if os.environ.get(WARM_UP_ENV):  # started as pymatting's warm-up child (no interpreter in a frozen app)
        compile_under_lock(os.environ[WARM_UP_ENV])
        sys.exit(0)
    if os.environ.get(CHILD_ENV):  # started as a classical-method child (classical.child_pool)
        child_main()
        sys.exit(0)
    from matting_studio.__main__ import main

    sys.exit(main())
