"""A wheel carries the trained weights: built from this tree, it holds models/ inside the package, byte for byte,
and the installed package finds them there."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from matting_studio.engine import weights

REPO = Path(__file__).resolve().parents[1]


def test_bundled_dir_prefers_models_beside_the_package_then_the_copy_inside_it(tmp_path):
    package = tmp_path / "site" / "matting_studio"
    package.mkdir(parents=True)
    assert weights.bundled_dir(package) == package / "bundled_models"  # an installed wheel
    (tmp_path / "site" / "models").mkdir()
    (tmp_path / "site" / "models" / "manifest.json").write_text("[]")
    assert weights.bundled_dir(package) == tmp_path / "site" / "models"  # a source tree / editable install


@pytest.mark.slow
def test_wheel_contains_the_bundled_weights_and_finds_them(tmp_path):
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs the git source tree")
    # build from a copy of the tracked files, so nothing (build/, egg-info) is left in the work tree
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    src = tmp_path / "src"
    for name in tracked.decode().split("\0"):
        if name and (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True, cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("matting_studio-*.whl"))
    manifest = json.loads((REPO / "models" / "manifest.json").read_text())
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for entry in manifest:
            member = f"matting_studio/bundled_models/{entry['filename']}"
            assert member in names
            assert hashlib.sha256(zf.read(member)).hexdigest() == entry["sha256"]
            assert f"matting_studio/bundled_models/{entry['name']}.md" in names  # its model card
        zf.extractall(tmp_path / "site")
    # the unpacked wheel, imported on its own (no models/ beside it), registers and verifies its weights
    probe = ("from matting_studio.engine import weights; import sys; "
             "print(weights.BUNDLED_DIR); print(all(weights.verify(n).status == 'ok' for n in sys.argv[1:]))")
    out = subprocess.run([sys.executable, "-c", probe, *(e["name"] for e in manifest)], check=True,
                         capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin",
                              "MATTING_STUDIO_CACHE": str(tmp_path / "cache")}).stdout.split()
    assert out == [str(tmp_path / "site" / "matting_studio" / "bundled_models"), "True"]
