"""The window's engine (``app.main.window_pipeline``): classical methods in child processes, and a window process
that never imports pymatting (numba's kernels would load there with the GIL held)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matting_studio import classical

REPO = Path(__file__).resolve().parents[2]

WINDOW_PROCESS = r'''
import json, sys
import numpy as np
from matting_studio.app.main import window_pipeline
pipeline = window_pipeline()
rng = np.random.default_rng(0)
image = rng.random((120, 160, 3)).astype(np.float32)
trimap = np.zeros((120, 160), np.float32); trimap[20:100, 30:130] = 0.5; trimap[45:75, 60:100] = 1.0
for method in ("cf", "knn", "rw"):
    alpha, fg = pipeline.matte(image, trimap, method=method)
from matting_studio.engine.models.colour_prior import matting_prior
matting_prior(image, trimap)  # the learned methods' prior solves closed-form in this process
print(json.dumps({"pymatting": "pymatting" in sys.modules, "numba": "numba" in sys.modules,
                  "alpha_mean": float(alpha.mean())}))
'''


def test_the_window_process_never_imports_pymatting():
    done = subprocess.run([sys.executable, "-c", WINDOW_PROCESS], capture_output=True, text=True, timeout=300,
                          cwd=str(REPO))
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["pymatting"] is False and report["numba"] is False
    rng = np.random.default_rng(0)
    image = rng.random((120, 160, 3)).astype(np.float32)
    trimap = np.zeros((120, 160), np.float32)
    trimap[20:100, 30:130] = 0.5
    trimap[45:75, 60:100] = 1.0
    want = float(classical.matte("rw", image, trimap, fast=True)[0].mean())  # the same result as in this process
    assert report["alpha_mean"] == pytest.approx(want, abs=1e-4)
