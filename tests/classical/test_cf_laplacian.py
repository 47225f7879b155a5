"""Closed-form matting without numba: the NumPy Laplacian equals pymatting's, and solves agree."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from matting_studio.classical import _solver, pymatting_warmup
from matting_studio.classical.cf_laplacian import cf_laplacian


def test_the_laplacian_equals_pymatting_s_with_and_without_known_windows():
    import pymatting

    rng = np.random.default_rng(0)
    image = rng.random((23, 31, 3))
    known = rng.random((23, 31)) < 0.6
    for mask in (None, known):
        ours = cf_laplacian(image, 1e-7, mask)
        theirs = pymatting.cf_laplacian(image, 1e-7, 1, np.zeros((23, 31), bool) if mask is None else mask)
        assert abs(ours - theirs).max() < 1e-12 * abs(theirs).max()


def test_a_closed_form_solve_is_the_same_before_and_after_pymatting_is_ready(synthetic_composite, monkeypatch):
    s = synthetic_composite
    image, trimap = _solver.check_inputs(s["image"], s["trimap"])
    pymatting_warmup.load()
    with_pymatting = _solver.solve_alpha("cf", image, trimap)
    monkeypatch.setattr(pymatting_warmup, "ready", lambda: False)
    monkeypatch.setattr(pymatting_warmup, "warm_up", lambda: None)
    without = _solver.solve_alpha("cf", image, trimap)
    assert np.abs(with_pymatting - without).max() < 2e-3


def test_a_fresh_process_solves_closed_form_without_importing_pymatting():
    code = ("import sys, numpy as np\n"
            "from matting_studio.classical import estimate_alpha_cf\n"
            "yy, xx = np.mgrid[0:40, 0:40]\n"
            "a = np.clip(12 - np.hypot(yy - 20, xx - 20), 0, 1).astype(np.float32)\n"
            "img = np.stack([a, 0.5 * a + 0.2, 1 - a], -1).astype(np.float32)\n"
            "tri = np.where(a > 0.99, 1.0, np.where(a < 0.01, 0.0, 0.5)).astype(np.float32)\n"
            "tri[18:22, 18:22] = 0.5\n"
            "alpha = estimate_alpha_cf(img, tri)\n"
            "print('pymatting' in sys.modules, float(np.abs(alpha - a).mean()) < 0.05)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["False", "True"], done.stderr[-2000:]
