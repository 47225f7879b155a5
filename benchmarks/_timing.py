"""Shared timing helper for the benchmark scripts (run as scripts, so this folder is on ``sys.path``)."""

from __future__ import annotations

import time
from typing import Callable


def best_time(fn: Callable[[], object], repeats: int, *, warm_up: bool = False) -> float:
    """Best of ``repeats`` wall-clock seconds of ``fn()``; one untimed call first when ``warm_up``."""
    if warm_up:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
