"""The desktop build's files agree with each other and with the package (fast; no build): the PyInstaller spec
bundles models/ and resources/ where the code looks for them, the .desktop entry runs the right command with the
right icon for every image type the app opens, and the Linux install script writes a working entry."""

from __future__ import annotations

import configparser
import mimetypes
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from matting_studio import __version__
from matting_studio.core.imageio import IMAGE_SUFFIXES

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
DESKTOP = ROOT / "resources" / "matting-studio.desktop"
ICONS = ROOT / "matting_studio" / "resources"
USED_QT = {"QtCore", "QtGui", "QtWidgets"}


class _Recorder:
    """Stands in for PyInstaller's Analysis / PYZ / EXE / COLLECT / BUNDLE: keeps the arguments it was given."""

    made: dict[str, "_Recorder"] = {}

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.pure = self.scripts = self.binaries = self.datas = ()
        _Recorder.made[type(self).__name__] = self


@pytest.fixture
def spec(monkeypatch):
    """The spec executed with recording stand-ins (so the test needs neither PyInstaller nor a build)."""
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda name: [f"{name}.*"]
    hooks.copy_metadata = lambda name: [(f"<metadata of {name}>", f"{name}.dist-info")]
    hooks.collect_dynamic_libs = lambda name, search_patterns=None: [(f"<libraries of {name}>", name)]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    _Recorder.made = {}
    namespace = {"SPECPATH": str(PACKAGING), "__file__": str(PACKAGING / "matting_studio.spec")}
    namespace.update({n: type(n, (_Recorder,), {}) for n in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")})
    exec(compile((PACKAGING / "matting_studio.spec").read_text(), "matting_studio.spec", "exec"), namespace)
    return namespace, _Recorder.made


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def console_script() -> str:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    return next(name for name, target in scripts.items() if target == "matting_studio.__main__:main")


def test_spec_bundles_every_model_and_the_resources_where_the_code_looks(spec):
    import json

    namespace, made = spec
    datas = made["Analysis"].kwargs["datas"]
    by_dest: dict[str, set[str]] = {}
    for source, dest in datas:
        by_dest.setdefault(dest, set()).add(Path(source).name)
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    for entry in manifest:  # weights and model cards, beside the package as weights.bundled_dir expects
        assert {entry["filename"], f"{entry['name']}.md"} <= by_dest["models"]
    assert "manifest.json" in by_dest["models"]
    # the frozen package sits at the bundle's root, so these relative paths are where the code finds them
    assert (ROOT / "resources" / "samples") in {Path(s) for s, d in datas if d == "resources/samples"}
    assert (ICONS, "matting_studio/resources") in {(Path(s), d) for s, d in datas}
    assert made["Analysis"].args[0] == [str(PACKAGING / "launcher.py")]
    assert ("<libraries of torchvision>", "torchvision") in made["Analysis"].kwargs["binaries"]  # its C++ ops
    assert namespace["VERSION"] == __version__


def test_spec_leaves_out_qt_modules_the_app_does_not_use(spec):
    _, made = spec
    excludes = set(made["Analysis"].kwargs["excludes"])
    qt_excluded = {name.split(".", 1)[1] for name in excludes if name.startswith("PySide6.")}
    assert not qt_excluded & USED_QT
    assert {"QtNetwork", "QtQml", "QtQuick", "QtWebEngineCore"} <= qt_excluded
    used = set()
    for path in (ROOT / "matting_studio").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= {m for m in qt_excluded if f"PySide6.{m}" in text or f"PySide6 import {m}" in text}
    assert not used, f"the app imports excluded Qt modules: {used}"


def test_binary_name_is_the_console_script_and_the_desktop_command(spec):
    _, made = spec
    name = made["EXE"].kwargs["name"]
    assert name == made["COLLECT"].kwargs["name"] == console_script()
    entry = desktop_entry()
    assert entry["Exec"].split() == [name, "%F"]  # %F: several files, as the GUI takes
    assert entry["TryExec"] == name


def test_desktop_entry_icon_and_image_types():
    from matting_studio.app.app_icon import ICON_FILES, ICON_NAME

    entry = desktop_entry()
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert entry["Icon"] == ICON_NAME and {f"{ICON_NAME}.svg", f"{ICON_NAME}.png"} == set(ICON_FILES)
    assert all((ICONS / f).is_file() for f in ICON_FILES)
    table = mimetypes.MimeTypes()
    table.add_type("image/webp", ".webp")  # missing from Python's own table before 3.13
    wanted = {table.guess_type(f"x{suffix}")[0] for suffix in IMAGE_SUFFIXES}
    assert None not in wanted
    listed = set(filter(None, entry["MimeType"].split(";")))
    assert listed == wanted  # every type the app opens, and only those
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_scripts_are_executable_and_parse():
    for name in ("build.sh", "install_linux.sh"):
        script = PACKAGING / name
        assert os.access(script, os.X_OK), f"{name} is not executable"
        subprocess.run(["bash", "-n", str(script)], check=True)
    assert (PACKAGING / "smoke_test.py").is_file()


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux install script")
def test_install_script_writes_an_entry_for_the_installed_binary_and_uninstalls(tmp_path):
    build = tmp_path / "dist" / "matting-studio"
    build.mkdir(parents=True)
    (build / "matting-studio").write_text("#!/bin/sh\necho built\n")
    (build / "matting-studio").chmod(0o755)
    prefix = tmp_path / "prefix"
    env = dict(os.environ, PREFIX=str(prefix))
    subprocess.run([str(PACKAGING / "install_linux.sh"), str(build)], check=True, env=env, capture_output=True)
    app = prefix / "lib" / "matting-studio" / "matting-studio"
    installed = prefix / "share" / "applications" / "matting-studio.desktop"
    text = installed.read_text()
    assert f'Exec="{app}" %F' in text and f"TryExec={app}\n" in text
    assert subprocess.run([str(prefix / "bin" / "matting-studio")], capture_output=True, text=True).stdout == "built\n"
    assert (prefix / "share" / "icons" / "hicolor" / "scalable" / "apps" / "matting-studio.svg").is_file()
    assert (prefix / "share" / "icons" / "hicolor" / "256x256" / "apps" / "matting-studio.png").is_file()
    subprocess.run([str(PACKAGING / "install_linux.sh"), "--uninstall"], check=True, env=env, capture_output=True)
    assert not installed.exists() and not app.exists() and not (prefix / "bin" / "matting-studio").exists()
