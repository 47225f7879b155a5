"""Weights in the frozen desktop build: bundled ones under ``sys._MEIPASS``, and the selfie model's pip fetch
(which a frozen app must run with a Python found on PATH) with its download progress."""

from __future__ import annotations

import sys

import pytest

from matting_studio.core.errors import WeightsError
from matting_studio.engine import weights

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake pip is a POSIX script")


def test_bundled_dir_of_a_frozen_build_is_models_under_meipass(tmp_path, monkeypatch):
    package = tmp_path / "elsewhere" / "matting_studio"
    (tmp_path / "bundle" / "models").mkdir(parents=True)
    (tmp_path / "bundle" / "models" / "manifest.json").write_text("[]")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    assert weights.bundled_dir(package) == tmp_path / "bundle" / "models"
    (tmp_path / "bundle" / "models" / "manifest.json").unlink()  # a bundle without models: the usual search
    assert weights.bundled_dir(package) == package / "bundled_models"


def test_a_frozen_app_without_python_on_path_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no python3 / python here
    monkeypatch.setenv("MATTING_STUDIO_CACHE", str(tmp_path / "cache"))
    with pytest.raises(WeightsError) as info:
        weights.pip_command()
    message = str(info.value)
    assert "no pip" in message and str(tmp_path / "cache" / "selfie_segmentation.tflite") in message
    assert "trimap" in message and "object segmenter" in message and "\n" not in message


# A stand-in for "python3 -m pip": prints pip's "Downloading NAME (SIZE)" line, grows a file in $TMPDIR as pip
# does while downloading, then saves a wheel holding the selfie member into -d.
FAKE_PYTHON = """\
#!{python}
import os, sys, time, zipfile
args = sys.argv[1:]
if args[:3] == ["-m", "pip", "--version"]:
    sys.exit(0)
assert args[:3] == ["-m", "pip", "download"], args
dest = args[args.index("-d") + 1]
print("Collecting mediapipe==0.10.21", flush=True)
print("  Downloading mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl (0.4 MB)", flush=True)
part = os.path.join(os.environ["TMPDIR"], "pip-unpack-x", "mediapipe.whl")
os.makedirs(os.path.dirname(part))
for _ in range(3):
    with open(part, "ab") as f:
        f.write(b"x" * 100_000)
    time.sleep(0.4)
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(os.path.join(dest, "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"), "w") as z:
    z.writestr("{member}", b"selfie model bytes")
print("Successfully downloaded mediapipe", flush=True)
"""


def test_frozen_fetch_runs_pip_from_path_and_reports_the_download(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "python3"
    fake.write_text(FAKE_PYTHON.format(python=sys.executable, member=weights.MEDIAPIPE_MEMBER))
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert weights.pip_command() == [str(fake), "-m", "pip"]

    reports = []
    weights._fetch_mediapipe_selfie(tmp_path / "out.tflite", lambda f, m: reports.append((f, m)))
    assert (tmp_path / "out.tflite").read_bytes() == b"selfie model bytes"
    sized = [(f, m) for f, m in reports if " of 0.4 MB" in m]
    assert sized, reports  # the growing download was seen at least once
    low, high = weights.FETCH_SPAN
    assert all(low < f <= high for f, _ in sized)
    assert [f for f, _ in reports] == sorted(f for f, _ in reports)  # progress never goes back


def test_pip_failure_names_the_file_to_place_by_hand(tmp_path, monkeypatch):
    fake = tmp_path / "python3"
    fake.write_text(f"#!{sys.executable}\nimport sys\nif '--version' in sys.argv: sys.exit(0)\n"
                    "print('ERROR: No matching distribution found for mediapipe==0.10.21'); sys.exit(1)\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("MATTING_STUDIO_CACHE", str(tmp_path / "cache"))
    with pytest.raises(WeightsError, match="No matching distribution") as info:
        weights._fetch_mediapipe_selfie(tmp_path / "cache" / "x.download", None)
    assert str(tmp_path / "cache" / "selfie_segmentation.tflite") in str(info.value)
    assert "\n" not in str(info.value)


def test_a_frozen_app_runs_pip_with_the_library_path_it_was_started_with(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", "/bundle/_internal")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/opt/lib")
    assert weights._outside_env()["LD_LIBRARY_PATH"] == "/opt/lib"
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG")
    assert "LD_LIBRARY_PATH" not in weights._outside_env()
