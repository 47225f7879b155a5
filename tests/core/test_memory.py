"""Freed memory goes back to the OS between images (glibc), and nothing breaks elsewhere."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from matting_studio.core.memory import release_freed_memory

MB = 1 << 20


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1]) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; glibc's malloc_trim")
def test_the_heap_pages_that_freed_arrays_leave_behind_are_returned():
    if not release_freed_memory():
        pytest.skip("this C library has no malloc_trim")
    big = np.ones(16 * MB, np.uint8)  # freeing a large (mmapped) array raises glibc's mmap threshold to its size,
    del big
    chunks = [np.ones(MB, np.uint8) for _ in range(200)]  # so these 1 MB arrays come from the heap
    pin = chunks.pop()  # the heap's top stays in use: free() alone cannot shrink it
    del chunks
    held = _rss_mb()
    release_freed_memory()
    assert held - _rss_mb() > 100  # most of the 199 MB freed below the top went back
    assert pin.sum() == MB
