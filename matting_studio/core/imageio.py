"""Image loading and saving.

Loading: JPEG, PNG, TIFF, WebP, BMP, GIF (first frame), HEIC/HEIF (pillow-heif, registered on first need).
EXIF orientation is applied; 16-bit PNG/TIFF keep their precision (colour ones, which Pillow reduces to 8 bit,
are read with OpenCV); grayscale, 1-bit, palette, CMYK (through its ICC profile when the file has one), LA and
RGBA become RGB with any alpha channel reported in :attr:`LoadedImage.alpha`. A pixel-count limit guards
against decompression bombs. Every failure on bad input is an :class:`ImageReadError` naming the file.

Saving: PNG, 8 or 16 bit, atomic (temporary file in the destination folder, then rename), never onto an
input, never over an existing file unless asked.
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from matting_studio.core.atomic import atomic_write_bytes, exists_message
from matting_studio.core.errors import ImageReadError, ImageTooLargeError, ImageWriteError, OutputExistsError

PathLike = Union[str, os.PathLike]

IMAGE_SUFFIXES = (".bmp", ".gif", ".heic", ".heif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")
_HEIF_SUFFIXES = (".heic", ".heif", ".hif")

DEFAULT_MAX_PIXELS = 120_000_000  # above 100 MP so that 102 MP medium-format photos load
MAX_PIXELS_ENV = "MATTING_STUDIO_MAX_PIXELS"

_GRAY16_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_ORIENTATION_TAG = 0x0112

# Image.MAX_IMAGE_PIXELS is process-wide; opening swaps it, so opens are serialised (header parsing only).
_OPEN_LOCK = threading.Lock()
_heif_registered = False


@dataclass(frozen=True)
class LoadedImage:
    """A decoded image.

    ``rgb``: ``(H, W, 3)`` float32 in [0, 1]; ``alpha``: ``(H, W)`` float32 in [0, 1] when the file has an
    alpha channel (or a transparent palette entry / colour key), else None; ``bit_depth``: bits per sample
    of the source, 8 (also for 1-bit and palette), 16 or 32; ``mode``: the source's Pillow mode; ``path``: the file read.
    """

    rgb: np.ndarray
    alpha: Optional[np.ndarray]
    bit_depth: int
    mode: str
    path: Path

    @property
    def has_alpha(self) -> bool:
        return self.alpha is not None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.rgb.shape[1], self.rgb.shape[0]


# -- file names ---------------------------------------------------------------------------------------


def is_image_path(path: PathLike) -> bool:
    """True when the suffix (any case) is one of :data:`IMAGE_SUFFIXES`; the file itself is not opened."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: PathLike) -> list[Path]:
    """Image files directly inside ``folder`` (not recursive, hidden files skipped), sorted by name (any case)."""
    folder = Path(folder)
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        raise ImageReadError(f"The folder '{folder}' does not exist.") from None
    except NotADirectoryError:
        raise ImageReadError(f"'{folder}' is a file, not a folder.") from None
    except OSError as exc:
        raise ImageReadError(f"The folder '{folder}' cannot be listed ({exc.strerror or exc}).") from None
    images = [p for p in entries if is_image_path(p) and not p.name.startswith(".") and p.is_file()]
    return sorted(images, key=lambda p: (p.name.casefold(), p.name))


# -- conversions --------------------------------------------------------------------------------------


def to_float(arr: np.ndarray) -> np.ndarray:
    """uint8 (÷255), uint16 (÷65535), bool or float array → float32 in [0, 1] (floats clipped; NaN → 0)."""
    arr = np.asarray(arr)
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) * np.float32(1 / 255)
    if arr.dtype == np.uint16:
        return arr.astype(np.float32) * np.float32(1 / 65535)
    if arr.dtype == np.bool_ or arr.dtype.kind in "iuf":
        return np.clip(np.nan_to_num(arr.astype(np.float32), nan=0.0), 0.0, 1.0)
    raise TypeError(f"Cannot convert an array of type {arr.dtype} to an image.")


def to_uint8(arr: np.ndarray) -> np.ndarray:
    """Any array :func:`to_float` accepts → uint8 in [0, 255], rounded (uint8 input is returned as is)."""
    arr = np.asarray(arr)
    if arr.dtype == np.uint8:
        return arr
    return (to_float(arr) * 255.0 + 0.5).astype(np.uint8)


def _scaled(arr: np.ndarray, maximum: float) -> np.ndarray:
    """Integer or float samples → float32 in [0, 1] (divided by ``maximum``, clipped; NaN → 0, ±inf → 1 / 0)."""
    out = arr.astype(np.float32) * np.float32(1.0 / maximum)
    np.nan_to_num(out, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(out, 0.0, 1.0, out=out)


# -- reading ------------------------------------------------------------------------------------------


def max_pixels_limit() -> int:
    """The pixel limit: env ``MATTING_STUDIO_MAX_PIXELS`` (e.g. ``250000000`` or ``2.5e8``) or the default."""
    raw = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(float(raw))
    except ValueError:
        value = 0
    if value <= 0:
        warnings.warn(f"{MAX_PIXELS_ENV}={raw!r} is not a positive number; using {DEFAULT_MAX_PIXELS}.",
                      RuntimeWarning, stacklevel=3)
        return DEFAULT_MAX_PIXELS
    return value


def _pixels_text(count: int) -> str:
    return f"{count / 1e6:.1f} MP" if count >= 1_000_000 else f"{count:,} pixels"


def _register_heif() -> bool:
    """Register pillow-heif's opener once; False when pillow-heif is missing."""
    global _heif_registered
    if not _heif_registered:
        try:
            from pillow_heif import register_heif_opener
        except ImportError:  # pragma: no cover - pillow-heif is a dependency
            return False
        register_heif_opener()
        _heif_registered = True
    return True


def _read_bytes(path: Path) -> bytes:
    """The whole file; clear errors for missing, folder, unreadable and empty paths."""
    try:
        if path.is_dir():
            raise ImageReadError(f"'{path}' is a folder, not an image.")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageReadError(f"'{path}' does not exist.") from None
    except IsADirectoryError:
        raise ImageReadError(f"'{path}' is a folder, not an image.") from None
    except PermissionError:
        raise ImageReadError(f"'{path}' cannot be read (permission denied).") from None
    except OSError as exc:
        raise ImageReadError(f"'{path}' cannot be read ({exc.strerror or exc}).") from None
    if not data:
        raise ImageReadError(f"'{path}' is empty (0 bytes).")
    return data


def _open_unchecked(data: bytes) -> Image.Image:
    """``Image.open`` without Pillow's own pixel limit (ours is checked next, with a clearer message)."""
    with _OPEN_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            return Image.open(io.BytesIO(data))
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _sniff(data: bytes) -> str:
    """The format named by the file's first bytes ("" when unknown), for clearer messages on broken files."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"hevc"):
        return "HEIF"
    if data[:2] == b"BM" and len(data) >= 14:
        return "BMP"
    return ""


def _open(path: Path, data: bytes, max_pixels: int) -> Image.Image:
    """Open (header only) and enforce the pixel limit."""
    if path.suffix.lower() in _HEIF_SUFFIXES:
        _register_heif()
    try:
        try:
            image = _open_unchecked(data)
        except UnidentifiedImageError:
            if _heif_registered or not _register_heif():  # a HEIC file with another suffix?
                raise
            image = _open_unchecked(data)
    except UnidentifiedImageError:
        kind = _sniff(data)
        if kind:
            raise ImageReadError(f"'{path}' looks like a {kind} file but is damaged or truncated.") from None
        raise ImageReadError(f"'{path}' is not an image in a format this program can read.") from None
    except Image.DecompressionBombError:  # pragma: no cover - the limit is lifted while opening
        raise ImageTooLargeError(f"'{path}' is too large to open safely.") from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure on bad input is a read error
        raise ImageReadError(f"'{path}' could not be read ({exc}).") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageTooLargeError(
            f"'{path}' has {width}x{height} = {_pixels_text(width * height)}, above the limit of "
            f"{_pixels_text(max_pixels)} (set {MAX_PIXELS_ENV} to raise it)."
        )
    if width * height == 0:
        image.close()
        raise ImageReadError(f"'{path}' has no pixels ({width}x{height}).")
    return image


def _bits_per_sample(image: Image.Image, data: bytes) -> int:
    """Bits per sample stored in a PNG (IHDR) or TIFF (BitsPerSample) header; 8 for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) > 24:
        return data[24]
    if image.format == "TIFF":
        bits = getattr(image, "tag_v2", {}).get(258, 8)
        return int(max(bits)) if isinstance(bits, tuple) else int(bits)
    return 8


def _orientation(image: Image.Image) -> int:
    """The EXIF (or XMP) orientation, 1..8, as ``ImageOps.exif_transpose`` reads it."""
    try:
        value = int(image.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - unreadable metadata: leave the pixels as stored
        return 1
    return value if 1 <= value <= 8 else 1


def orient_array(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Apply EXIF ``orientation`` (1..8) to an ``(H, W, ...)`` array exactly as ``ImageOps.exif_transpose``."""
    if orientation == 2:
        return arr[:, ::-1]
    if orientation == 3:
        return arr[::-1, ::-1]
    if orientation == 4:
        return arr[::-1]
    if orientation == 5:
        return arr.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(arr, k=-1)
    if orientation == 7:
        return arr[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(arr, k=1)
    return arr


def _wide_colour(data: bytes, orientation: int, size: tuple[int, int]) -> Optional[np.ndarray]:
    """A 16-bit colour PNG/TIFF as ``(H, W, 3|4)`` uint16 RGB(A), oriented; None if OpenCV cannot give that."""
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)  # ignores EXIF orientation
    if arr is None or arr.dtype != np.uint16 or arr.ndim != 3 or arr.shape[2] not in (3, 4):
        return None
    arr = cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA if arr.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    arr = orient_array(arr, orientation)
    if (arr.shape[1], arr.shape[0]) != size:  # OpenCV disagrees with Pillow: keep Pillow's 8 bits
        return None
    return arr


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    """CMYK → RGB through the embedded ICC profile when there is one, else Pillow's (1-C)(1-K) formula."""
    icc = image.info.get("icc_profile")
    if icc:
        try:
            from PIL import ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:  # noqa: BLE001 - a broken profile: fall back to the plain formula
            pass
    return image.convert("RGB")


def _decode(path: Path, data: bytes, max_pixels: int) -> tuple[np.ndarray, Optional[np.ndarray], int, str]:
    """``(colour, alpha, bit_depth, mode)``; colour is ``(H, W)`` for gray sources, else ``(H, W, 3)``."""
    with _open(path, data, max_pixels) as image:
        mode = image.mode
        try:
            image.seek(0)  # GIF / WebP / multi-page TIFF: the first frame
            image.load()  # decode errors surface here (before metadata, whose reading may load too)
            orientation = _orientation(image)
            bits = _bits_per_sample(image, data)
            if mode in ("RGB", "RGBA") and bits == 16:
                upright_size = image.size[::-1] if orientation >= 5 else image.size
                wide = _wide_colour(data, orientation, upright_size)
                if wide is not None:
                    alpha = _scaled(wide[..., 3], 65535.0) if wide.shape[2] == 4 else None
                    return _scaled(wide[..., :3], 65535.0), alpha, 16, mode
            return _pillow_arrays(ImageOps.exif_transpose(image), mode, bits)
        except ImageReadError:
            raise
        except MemoryError:
            raise ImageReadError(f"'{path}' is too large for the available memory.") from None
        except Exception as exc:  # noqa: BLE001 - truncated / corrupt data surfaces here, in any decoder
            raise ImageReadError(f"'{path}' is damaged or truncated ({exc}).") from None


def _pillow_arrays(image: Image.Image, mode: str, bits: int) -> tuple[np.ndarray, Optional[np.ndarray], int, str]:
    """Arrays from a loaded, upright Pillow image (see :func:`_decode`)."""
    if mode in _GRAY16_MODES:
        return _scaled(np.asarray(image), 65535.0), None, 16, mode
    if mode == "I":  # 32-bit integer samples: 8-, 16- or 32-bit data
        arr = np.asarray(image)
        if bits <= 8:
            return _scaled(arr, 255.0), None, 8, mode
        if bits == 16 or int(arr.max(initial=0)) <= 65535:
            return _scaled(arr, 65535.0), None, 16, mode
        return _scaled(arr, 4294967295.0), None, 32, mode
    if mode == "F":
        return _scaled(np.asarray(image), 1.0), None, 32, mode
    if mode in ("L", "1"):
        return to_float(np.asarray(image.convert("L"))), None, 8, mode
    if mode == "CMYK":
        return to_float(np.asarray(_cmyk_to_rgb(image))), None, 8, mode
    if mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"))
        return to_float(rgba[..., :3]), to_float(rgba[..., 3]), 8, mode
    return to_float(np.asarray(image.convert("RGB"))), None, 8, mode


def load_image(path: PathLike, *, max_pixels: Optional[int] = None) -> LoadedImage:
    """Decode ``path`` to RGB float32 ``(H, W, 3)`` in [0, 1] (+ alpha ``(H, W)`` if the file has one).

    ``max_pixels`` defaults to :func:`max_pixels_limit`. Raises :class:`ImageReadError` (missing, folder,
    empty, truncated, not an image) or :class:`ImageTooLargeError`.
    """
    path = Path(path)
    limit = max_pixels_limit() if max_pixels is None else int(max_pixels)
    colour, alpha, bit_depth, mode = _decode(path, _read_bytes(path), limit)
    if colour.ndim == 2:
        colour = np.repeat(colour[..., None], 3, axis=2)
    alpha = None if alpha is None else np.ascontiguousarray(alpha)
    return LoadedImage(rgb=np.ascontiguousarray(colour), alpha=alpha, bit_depth=bit_depth, mode=mode, path=path)


def load_gray(path: PathLike, *, max_pixels: Optional[int] = None) -> np.ndarray:
    """A single-channel image (alpha matte, trimap): ``(H, W)`` float32 in [0, 1].

    Gray files give their gray values (16 bit kept), colour files their first channel (matting datasets
    store alpha as R = G = B); EXIF orientation applied. Errors as :func:`load_image`.
    """
    path = Path(path)
    limit = max_pixels_limit() if max_pixels is None else int(max_pixels)
    colour, _, _, _ = _decode(path, _read_bytes(path), limit)
    return np.ascontiguousarray(colour if colour.ndim == 2 else colour[..., 0])


# -- saving -------------------------------------------------------------------------------------------


def _check_array(array: np.ndarray) -> np.ndarray:
    """``(H, W)``, ``(H, W, 1|3|4)`` numbers → float32 in [0, 1] (clipped); ImageWriteError otherwise."""
    arr = np.asarray(array)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)) or arr.size == 0:
        raise ImageWriteError(f"Cannot save an array of shape {arr.shape}: expected (H,W), (H,W,3) or (H,W,4).")
    if not (arr.dtype in (np.bool_, np.uint8, np.uint16) or arr.dtype.kind == "f"):
        raise ImageWriteError(f"Cannot save an array of type {arr.dtype}: expected floats in [0, 1].")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ImageWriteError("Cannot save an image containing NaN or infinite values.")
    arr = to_float(arr)
    return arr[..., 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr


def _encode_png(arr: np.ndarray, bits: int) -> bytes:
    """PNG bytes for a float array from :func:`_check_array` (OpenCV: 16-bit colour, channels as BGR(A))."""
    import cv2

    data = to_uint8(arr) if bits == 8 else (arr * 65535.0 + 0.5).astype(np.uint16)
    if data.ndim == 3:
        data = cv2.cvtColor(data, cv2.COLOR_RGB2BGR if data.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    ok, buffer = cv2.imencode(".png", data)
    if not ok:  # pragma: no cover - OpenCV failure
        raise ImageWriteError("PNG encoding failed.")
    return buffer.tobytes()


def _same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` name one file (symlinks, hard links, ``..``, case-insensitive systems)."""
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:  # one of them does not exist (yet)
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def save_png(
    path: PathLike,
    array: np.ndarray,
    *,
    bits: int = 8,
    overwrite: bool = False,
    inputs: Iterable[PathLike] = (),
) -> Path:
    """Write ``array`` as an 8- or 16-bit PNG, atomically; returns ``path``.

    ``array``: ``(H, W)`` gray, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA, float in [0, 1] (clipped; uint8 and
    uint16 are taken at their full range). Refuses to replace an existing file unless ``overwrite``, and any
    path in ``inputs`` always (:class:`OutputExistsError`); bad arrays and I/O failures raise
    :class:`ImageWriteError`. Parent folders are created; on failure no temporary file is left and an
    existing file is untouched.
    """
    path = Path(path)
    if bits not in (8, 16):
        raise ImageWriteError(f"PNG bit depth must be 8 or 16, not {bits}.")
    arr = _check_array(array)
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    for source in inputs:
        if _same_file(Path(source), path):
            raise OutputExistsError(f"Refusing to write '{path}': it is one of the input files.")
    if path.is_dir():
        raise ImageWriteError(f"'{path}' is a folder; give a file name.")
    if os.path.lexists(path) and not overwrite:
        raise OutputExistsError(exists_message(path))
    data = _encode_png(arr, bits)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageWriteError(f"Cannot write into the folder '{path.parent}' ({exc.strerror or exc}).") from None
    try:
        atomic_write_bytes(path, data, overwrite=overwrite)
    except OSError as exc:
        raise ImageWriteError(f"Cannot write '{path}' ({exc.strerror or exc}).") from None
    return path
