"""The hostile and odd input corpus, generated (no binaries are committed): what users drop on the tool.

:func:`write_corpus` writes every file into a folder and returns ``{name: Case}``; a case either loads
(``shape`` is the ``(H, W)`` the loader must return) or is refused with a typed error (``shape`` None).
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Case:
    path: Path
    shape: Optional[tuple[int, int]]  # (H, W) when the file must load; None when it must be refused

    @property
    def loads(self) -> bool:
        return self.shape is not None


def photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A uint8 RGB "product shot": a warm disc with a soft edge on a cool noisy background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    alpha = np.clip((min(h, w) / 3 - np.hypot(yy - h / 2, xx - w / 2)) / 3 + 0.5, 0, 1)[..., None]
    back = 0.2 + 0.2 * rng.random((h, w, 3))
    rgb = alpha * np.float32([0.9, 0.45, 0.2]) + (1 - alpha) * back
    return (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` (a decompression bomb's header) with one tiny IDAT."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + \
        chunk(b"IEND", b"")


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _animated(fmt: str, h: int = 40, w: int = 48) -> bytes:
    frames = [Image.fromarray(photo(h, w, seed)) for seed in range(3)]
    options = {"save_all": True, "append_images": frames[1:], "duration": 100, "loop": 0}
    if fmt == "WEBP":
        options["lossless"] = True
    return _encoded(frames[0], fmt, **options)


def _heic(h: int, w: int) -> Optional[bytes]:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        return _encoded(Image.fromarray(photo(h, w)), "HEIF", quality=90)
    except Exception:  # noqa: BLE001 - no HEIF encoder on this machine: the case is left out
        return None


def write_corpus(folder: Path) -> dict[str, Case]:
    """Write the corpus into ``folder`` (created); returns ``{name: Case}``."""
    folder.mkdir(parents=True, exist_ok=True)
    h, w = 48, 64
    rgb = photo(h, w)
    jpeg = _encoded(Image.fromarray(rgb), "JPEG", quality=92)
    png = _encoded(Image.fromarray(rgb), "PNG")
    gray16 = (np.linspace(0, 65535, h * w).reshape(h, w)).astype(np.uint16)
    rgb16 = (rgb.astype(np.uint16) * 257)
    float_nan = (rgb[..., 0] / 255.0).astype(np.float32)
    float_nan[5:9, 5:9] = np.nan
    palette = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    oriented = Image.Exif()
    oriented[0x0112] = 6
    files: dict[str, tuple[str, bytes | None, Optional[tuple[int, int]]]] = {
        "zero_bytes": ("empty.jpg", b"", None),
        "truncated_jpeg": ("truncated.jpg", jpeg[: len(jpeg) // 2], None),
        "truncated_png": ("truncated.png", png[: len(png) // 2], None),
        "text_named_jpg": ("notes.jpg", b"This is not a picture.\n" * 20, None),
        "jpeg_named_png": ("actually_jpeg.png", jpeg, (h, w)),
        "header_60000": ("bomb.png", _png_claiming(60000, 60000), None),
        "one_pixel": ("1x1.png", _encoded(Image.fromarray(rgb[:1, :1]), "PNG"), (1, 1)),
        "one_by_4000": ("1x4000.png", _encoded(Image.fromarray(np.tile(rgb[:1, :1], (1, 4000, 1))), "PNG"), (1, 4000)),
        "eight_by_eight": ("8x8.png", _encoded(Image.fromarray(photo(8, 8)), "PNG"), (8, 8)),
        "gray16_png": ("gray16.png", _encoded(Image.fromarray(gray16), "PNG"), (h, w)),
        "rgb16_png": ("rgb16.png", None, (h, w)),  # written with OpenCV below (Pillow cannot write 16-bit RGB)
        "gray16_tiff": ("gray16.tif", _encoded(Image.fromarray(gray16), "TIFF"), (h, w)),
        "rgb16_tiff": ("rgb16.tif", None, (h, w)),
        "float_tiff_nan": ("float_nan.tif", _encoded(Image.fromarray(float_nan, mode="F"), "TIFF"), (h, w)),
        "cmyk_jpeg": ("cmyk.jpg", _encoded(Image.fromarray(rgb).convert("CMYK"), "JPEG"), (h, w)),
        "palette_transparency": ("palette.png", _encoded(palette, "PNG"), (h, w)),
        "la": ("la.png", _encoded(Image.fromarray(rgb).convert("LA"), "PNG"), (h, w)),
        "rgba": ("rgba.png", _encoded(Image.fromarray(rgb).convert("RGBA"), "PNG"), (h, w)),
        "exif_orientation_6": ("rotated.jpg", _encoded(Image.fromarray(rgb), "JPEG", exif=oriented), (w, h)),
        "animated_gif": ("animated.gif", _animated("GIF"), (40, 48)),
        "animated_webp": ("animated.webp", _animated("WEBP"), (40, 48)),
        "heic": ("photo.heic", _heic(h, w), (h, w)),
        "bmp": ("photo.bmp", _encoded(Image.fromarray(rgb), "BMP"), (h, w)),
        "noise": ("noise.png", _encoded(Image.fromarray(np.random.default_rng(7).integers(0, 256, (h, w, 3),
                                                                                            np.uint8)), "PNG"), (h, w)),
        "unicode_and_spaces": ("fötö ünï 写真 1.png", png, (h, w)),
    }
    cases: dict[str, Case] = {}
    for name, (filename, data, shape) in files.items():
        path = folder / filename
        if filename.startswith("rgb16."):
            import cv2

            ok, buffer = cv2.imencode(path.suffix, np.ascontiguousarray(rgb16[..., ::-1]))
            assert ok
            data = buffer.tobytes()
        if data is None:  # an encoder this machine lacks
            continue
        path.write_bytes(data)
        cases[name] = Case(path, shape)
    folder_as_file = folder / "folder.png"
    folder_as_file.mkdir(exist_ok=True)
    cases["directory_named_png"] = Case(folder_as_file, None)
    return cases
