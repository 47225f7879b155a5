"""Headless session fixtures: fast fake stages and a runner that holds jobs until told to run them."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core import trimap as trimap_ops
from matting_studio.core.progress import CancelToken


class FakeStages:
    """The pipeline's stage methods, fast: a centred disc as the soft mask, the trimap's known values (and
    0.5 on the unknown region) as alpha. Records every call."""

    segmenter_name = "disc"
    method = "fake"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.warnings: list[str] = []

    def segment(self, image, *, progress=None, cancel=None):
        self.calls.append("segment")
        h, w = image.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w]
        return (np.hypot(yy - h / 2, xx - w / 2) < min(h, w) / 3).astype(np.float32)

    def make_trimap(self, soft_mask, *, erode=None, dilate=None, image=None):
        self.calls.append(f"trimap {erode}/{dilate}")
        return trimap_ops.trimap_from_mask(soft_mask, erode=erode, dilate=dilate)

    def matte(self, image, trimap, *, method=None, soft_mask=None, progress=None, cancel=None):
        self.calls.append(f"matte {method}")
        if progress:
            progress(0.5, f"{method} halfway")
        return np.asarray(trimap, np.float32).copy(), image


class HeldRunner:
    """Queues jobs; :meth:`run_all` runs them in order. A job started under a key that already has one
    replaces it (the old one is cancelled and silenced), as the app's runner does."""

    def __init__(self) -> None:
        self.queue: dict[str, tuple] = {}
        self.discarded: list[str] = []

    def start(self, key, fn, *args, progress=None, finished=None, error=None, cancelled=None, **kwargs):
        if key in self.queue:
            self.discarded.append(key)
        self.queue[key] = (fn, args, kwargs, finished, error, cancelled, progress)

    def cancel(self, key):
        job = self.queue.pop(key, None)
        if job is not None:
            job[5]()
        return job is not None

    def discard(self, key):
        if self.queue.pop(key, None) is not None:
            self.discarded.append(key)
            return True
        return False

    def run(self, key: str) -> None:
        fn, args, kwargs, finished, error, cancelled, progress = self.queue.pop(key)
        finished(fn(*args, progress=progress, cancel=CancelToken(), **kwargs))

    def run_all(self) -> None:
        while self.queue:
            self.run(next(iter(self.queue)))


@pytest.fixture
def stages():
    return FakeStages()


@pytest.fixture
def held():
    return HeldRunner()
