"""Image loading and saving.

Loading: JPEG, PNG, TIFF, WebP, BMP, GIF (first frame), HEIC/HEIF; EXIF orientation applied; 16-bit kept (as
float precision); grayscale, palette, CMYK, LA, RGBA converted to RGB with any alpha channel reported in
:attr:`LoadedImage.alpha`. A pixel-count limit guards against decompression bombs.

Saving: PNG, 8 or 16 bit, always atomic (temporary file + rename), never onto an input, never over an existing
file unless asked.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from matting_studio.core.errors import ImageReadError, ImageTooLargeError, ImageWriteError, OutputExistsError

PathLike = Union[str, os.PathLike]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif", ".heic", ".heif")
DEFAULT_MAX_PIXELS = int(os.environ.get("MATTING_STUDIO_MAX_PIXELS", 120_000_000))

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:  # pragma: no cover - pillow-heif is a dependency
            pass
        _heif_registered = True


@dataclass(frozen=True)
class LoadedImage:
    """A decoded image. ``rgb`` is ``(H, W, 3)`` float32 in [0, 1]; ``alpha`` ``(H, W)`` float32 or None."""

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


def is_image_path(path: PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: PathLike) -> list[Path]:
    """Image files directly inside ``folder`` (not recursive, hidden files skipped), sorted by name."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.is_file() and is_image_path(p) and not p.name.startswith("."))


def _open(path: Path, max_pixels: int) -> Image.Image:
    if not path.exists():
        raise ImageReadError(f"'{path}' does not exist.")
    if path.is_dir():
        raise ImageReadError(f"'{path}' is a folder, not an image.")
    if path.stat().st_size == 0:
        raise ImageReadError(f"'{path}' is empty (0 bytes).")
    if path.suffix.lower() in (".heic", ".heif", ".avif"):
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            old_limit = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None  # our own limit below, with a clear message
            try:
                image = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = old_limit
    except UnidentifiedImageError:
        _register_heif()  # a HEIC file with another suffix
        try:
            image = Image.open(path)
        except UnidentifiedImageError:
            raise ImageReadError(f"'{path}' is not an image this program can read.") from None
        except OSError as exc:
            raise ImageReadError(f"'{path}' could not be read ({exc}).") from None
    except OSError as exc:
        raise ImageReadError(f"'{path}' could not be read ({exc}).") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"'{path}' has {width}x{height} = {width * height / 1e6:.0f} MP, above the limit of "
            f"{max_pixels / 1e6:.0f} MP (set MATTING_STUDIO_MAX_PIXELS to raise it)."
        )
    try:
        image.seek(0)  # GIF / multi-page TIFF: the first frame
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(f"'{path}' is damaged or truncated ({exc}).") from None
    return image


def _to_float(arr: np.ndarray, maximum: float) -> np.ndarray:
    return np.clip(arr.astype(np.float32) / np.float32(maximum), 0.0, 1.0)


def _sixteen_bit_rgb(path: Path) -> Optional[np.ndarray]:
    """16-bit RGB(A) files Pillow can only give as 8-bit: read with OpenCV. ``(H,W,C)`` uint16 RGB(A) or None."""
    import cv2

    data = np.fromfile(str(path), dtype=np.uint8)
    arr = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if arr is None or arr.dtype != np.uint16 or arr.ndim != 3:
        return None
    if arr.shape[2] == 4:
        return cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA)
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)


def _exif_orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:
        return 1


def load_image(path: PathLike, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Decode ``path`` to RGB float32 in [0, 1] (+ alpha if the file has one). Raises :class:`ImageReadError`."""
    path = Path(path)
    image = _open(path, max_pixels)
    mode = image.mode
    alpha = None
    bit_depth = 8
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(image)
        maximum = 65535.0 if mode != "I" or arr.max(initial=0) > 255 else 255.0
        if mode == "I" and arr.max(initial=0) <= 255 and path.suffix.lower() not in (".png", ".tif", ".tiff"):
            maximum = 255.0
        bit_depth = 16 if maximum > 255 else 8
        gray = _to_float(arr, maximum)
        rgb = np.repeat(gray[..., None], 3, axis=2)
    elif mode == "F":
        gray = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
        rgb, bit_depth = np.repeat(gray[..., None], 3, axis=2), 32
    else:
        wide = None
        if mode in ("RGB", "RGBA") and path.suffix.lower() in (".png", ".tif", ".tiff"):
            # Pillow reduces 16-bit colour PNG/TIFF to 8 bit; OpenCV keeps it (orientation is rare there).
            if image.info.get("bits", 8) == 16 or _png_bit_depth(path) == 16 or path.suffix.lower() != ".png":
                wide = _sixteen_bit_rgb(path) if _exif_orientation(image) == 1 else None
        if wide is not None:
            bit_depth = 16
            rgb = _to_float(wide[..., :3], 65535.0)
            if wide.shape[2] == 4:
                alpha = _to_float(wide[..., 3], 65535.0)
        else:
            has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
                mode in ("P", "L", "RGB") and "transparency" in image.info
            )
            if mode == "CMYK":
                image = image.convert("RGB")
            converted = image.convert("RGBA" if has_alpha else "RGB")
            arr = np.asarray(converted)
            rgb = _to_float(arr[..., :3], 255.0)
            if has_alpha:
                alpha = _to_float(arr[..., 3], 255.0)
    return LoadedImage(rgb=np.ascontiguousarray(rgb), alpha=alpha, bit_depth=bit_depth, mode=mode, path=path)


def _png_bit_depth(path: Path) -> int:
    """The bit depth in a PNG's IHDR chunk (0 when not a PNG)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(26)
    except OSError:
        return 0
    if head[:8] != b"\x89PNG\r\n\x1a\n" or len(head) < 26:
        return 0
    return head[24]


def load_gray(path: PathLike, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """A single-channel image (alpha matte, trimap): ``(H, W)`` float32 in [0, 1].

    Colour files give their first channel (matting datasets store alpha as R = G = B).
    """
    path = Path(path)
    image = _open(path, max_pixels)
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(image)
        return _to_float(arr, 65535.0 if arr.max(initial=0) > 255 or mode.startswith("I;16") else 255.0)
    if mode == "F":
        return np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    if mode in ("L", "1"):
        return _to_float(np.asarray(image.convert("L")), 255.0)
    if mode in ("LA", "La"):
        return _to_float(np.asarray(image.convert("LA"))[..., 0], 255.0)
    if path.suffix.lower() in (".png", ".tif", ".tiff") and _exif_orientation(image) == 1:
        wide = _sixteen_bit_rgb(path)
        if wide is not None:
            return _to_float(wide[..., 0], 65535.0)
    return _to_float(np.asarray(image.convert("RGB"))[..., 0], 255.0)


# -- saving -------------------------------------------------------------------------------------------


def _check_array(array: np.ndarray) -> np.ndarray:
    arr = np.asarray(array)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)) or arr.size == 0:
        raise ImageWriteError(f"Cannot save an array of shape {arr.shape}: expected (H,W), (H,W,3) or (H,W,4).")
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        arr = arr.astype(np.float32) / 65535.0
    arr = arr.astype(np.float32, copy=False)
    if not np.isfinite(arr).all():
        raise ImageWriteError("Cannot save an image containing NaN or infinite values.")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    return np.clip(arr, 0.0, 1.0)


def _encode_png(arr: np.ndarray, bits: int) -> bytes:
    import cv2

    if bits == 8:
        data = (arr * 255.0 + 0.5).astype(np.uint8)
    else:
        data = (arr * 65535.0 + 0.5).astype(np.uint16)
    if data.ndim == 3:
        data = cv2.cvtColor(data, cv2.COLOR_RGB2BGR if data.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    ok, buffer = cv2.imencode(".png", data)
    if not ok:  # pragma: no cover - OpenCV failure
        raise ImageWriteError("PNG encoding failed.")
    return buffer.tobytes()


def save_png(
    path: PathLike,
    array: np.ndarray,
    *,
    bits: int = 8,
    overwrite: bool = False,
    inputs: Iterable[PathLike] = (),
) -> Path:
    """Write ``array`` (float in [0, 1]; gray, RGB or RGBA) as an 8- or 16-bit PNG, atomically.

    Refuses to replace an existing file unless ``overwrite``, and refuses any path in ``inputs`` always.
    """
    path = Path(path)
    if bits not in (8, 16):
        raise ImageWriteError(f"PNG bit depth must be 8 or 16, not {bits}.")
    arr = _check_array(array)
    target = path.resolve()
    for source in inputs:
        source = Path(source)
        if source.exists() and (source.resolve() == target or (path.exists() and os.path.samefile(source, path))):
            raise OutputExistsError(f"Refusing to write '{path}': it is one of the input files.")
    if path.is_dir():
        raise ImageWriteError(f"'{path}' is a folder; give a file name.")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"'{path}' already exists; use --force (or choose overwrite) to replace it.")
    data = _encode_png(arr, bits)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ImageWriteError(f"Cannot write into '{path.parent}' ({exc.strerror or exc}).") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ImageWriteError(f"Cannot write '{path}' ({exc.strerror or exc}).") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
