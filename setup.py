"""Copies the trained weights in ``models/`` into the package when a wheel is built (pyproject.toml has the rest).

A source tree or editable install finds them in ``models/`` next to the package; an installed wheel has them
inside it as ``matting_studio/bundled_models/`` (``engine/weights.py: bundled_dir``).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MODELS = Path(__file__).resolve().parent / "models"


class BuildPyWithModels(build_py):
    def run(self):
        super().run()
        if self.editable_mode or not (MODELS / "manifest.json").is_file():
            return
        target = Path(self.build_lib) / "matting_studio" / "bundled_models"
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(MODELS.iterdir()):
            if path.suffix in {".pt", ".json", ".md"}:
                shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildPyWithModels})
