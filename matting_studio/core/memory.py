"""Giving freed memory back to the operating system between images.

glibc's allocator keeps the heap pages that freed arrays leave behind, and raises its mmap threshold after the
first large free, so images of different sizes fragment the heap and a long batch's resident memory grows by
several MB per image (``benchmarks/long_runs.py``). ``malloc_trim(0)`` returns those pages; it takes ~20 ms
after a 1080p image, so it is called once per image, not per allocation. (A fixed mmap threshold would keep
memory flat as well but made each 1080p image 50 % slower with its page faults.) Elsewhere than glibc it does
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import lru_cache


@lru_cache(maxsize=1)
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None


def release_freed_memory() -> bool:
    """Return the allocator's free pages to the OS (thread-safe); False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
