"""A fake pipeline for GUI tests (imported by name: ``from conftest import`` would find another folder's)."""

from __future__ import annotations

import numpy as np

from matting_studio.engine.pipeline import Pipeline


class DiscPipeline(Pipeline):
    """The real pipeline with a fast, deterministic "segmenter": a centred disc (the real segmenters are
    tested in tests/engine). Injected into the window, nothing patched."""

    def segment(self, image, *, progress=None, cancel=None):
        h, w = image.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w]
        return (np.hypot(yy - h / 2, xx - w / 2) < min(h, w) / 3).astype(np.float32)
