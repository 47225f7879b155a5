"""Shared fixtures. GUI tests run on Qt's offscreen platform; data tests skip without ../shared/data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MATTING_STUDIO_SHARED_DATA", REPO.parent / "shared" / "data"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/app" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (third-party development data); the test skips when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def synthetic_composite(rng):
    """A small composite with a known alpha: dict(image, fg, bg, alpha, trimap), float32 in [0,1].

    Smooth foreground and background of distinct colours, a disc with a soft (ramp) edge of ~6 px.
    """
    h, w = 64, 80
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot(yy - h / 2, xx - w / 2)
    alpha = np.clip((22.0 - r) / 6.0 + 0.5, 0.0, 1.0).astype(np.float32)
    fg = np.stack([0.85 + 0.1 * xx / w, 0.25 + 0.1 * yy / h, 0.2 + 0 * xx], axis=-1).astype(np.float32)
    bg = np.stack([0.1 + 0 * xx, 0.3 + 0.2 * yy / h, 0.8 - 0.1 * xx / w], axis=-1).astype(np.float32)
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    trimap = np.full((h, w), 0.5, np.float32)
    trimap[r < 14] = 1.0
    trimap[r > 30] = 0.0
    return {"image": image.astype(np.float32), "fg": fg, "bg": bg, "alpha": alpha, "trimap": trimap}


@pytest.fixture
def kill_while_writing():
    """``kill(script, *args) -> pid``: run the Python ``script`` (this checkout importable) in a child, SIGKILL it
    as soon as it prints ``writing``, wait for it; deterministic crash points for crash-safety tests."""
    if os.name != "posix":
        pytest.skip("SIGKILL is POSIX")

    def kill(script: str, *args) -> int:
        child = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": str(REPO)})
        try:
            line = child.stdout.readline().strip()
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(60)
        assert line == "writing", f"the child did not reach its crash point (printed {line!r})"
        return child.pid

    return kill


@pytest.fixture(scope="session")
def hostile_corpus(tmp_path_factory):
    """``{name: Case}`` of the generated hostile-input corpus (``tests/hostile_inputs.py``)."""
    from hostile_inputs import write_corpus

    return write_corpus(tmp_path_factory.mktemp("corpus"))
