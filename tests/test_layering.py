"""The layering of ../shared/GUIDE.md holds: Qt only in app/, imports point one way, cheap imports."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold():
    lint = shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    done = subprocess.run([lint], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "module",
    ["matting_studio.core", "matting_studio.classical", "matting_studio.engine", "matting_studio.training",
     "matting_studio.session", "matting_studio.cli"],
)
def test_headless_packages_do_not_import_qt(module):
    code = f"import sys, {module}; print(any(m.split('.')[0] in ('PySide6', 'shiboken6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_package_import_does_not_import_torch():
    code = "import sys, matting_studio, matting_studio.cli, matting_studio.core; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
