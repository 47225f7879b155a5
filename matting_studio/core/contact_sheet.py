"""A labelled contact sheet (grid of tiles with captions), for ``matting-studio compare``.

Pure numpy + Pillow. Tiles are float32 images in [0, 1]: ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``
(RGBA tiles are shown over a checkerboard).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont


CHECKER_SQUARE = 12  # px: the transparency backdrop's squares


@dataclass
class Tile:
    image: np.ndarray
    title: str
    subtitle: str = ""


def checkerboard_gray(height: int, width: int, square: int = CHECKER_SQUARE) -> np.ndarray:
    """``(H, W)`` float32 light-grey checkerboard in [0, 1] (broadcasting only: no index grids, no copies per
    channel, so a display conversion in a worker thread barely holds the GIL)."""
    rows = (np.arange(height) // square) % 2
    cols = (np.arange(width) // square) % 2
    return np.where(rows[:, None] == cols[None, :], np.float32(0.8), np.float32(0.6))


def checkerboard(height: int, width: int, square: int = CHECKER_SQUARE) -> np.ndarray:
    """``(H, W, 3)`` light-grey checkerboard in [0, 1], the usual backdrop for transparency."""
    return np.repeat(checkerboard_gray(height, width, square)[..., None], 3, axis=2)


def to_display_rgb(image: np.ndarray) -> np.ndarray:
    """Any tile → ``(H, W, 3)`` float32 in [0, 1]; RGBA is flattened over a checkerboard."""
    image = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 4:
        alpha = image[..., 3:4]
        board = checkerboard_gray(image.shape[0], image.shape[1])[..., None]
        return image[..., :3] * alpha + board * (1.0 - alpha)
    return image[..., :3]


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def render_sheet(tiles: list[Tile], *, columns: int = 4, tile_width: int = 320, title: str = "") -> np.ndarray:
    """Grid of ``tiles`` scaled to ``tile_width``, each with a caption; returns ``(H, W, 3)`` float32."""
    if not tiles:
        raise ValueError("render_sheet needs at least one tile")
    columns = max(1, min(columns, len(tiles)))
    h0, w0 = tiles[0].image.shape[:2]
    tile_height = max(1, round(tile_width * h0 / w0))
    caption, pad, header = 44, 8, (36 if title else 0)
    rows = -(-len(tiles) // columns)
    sheet = Image.new(
        "RGB",
        (columns * (tile_width + pad) + pad, header + rows * (tile_height + caption + pad) + pad),
        (255, 255, 255),
    )
    draw = ImageDraw.Draw(sheet)
    big, small = _font(20), _font(14)
    if title:
        draw.text((pad, 8), title, fill=(0, 0, 0), font=big)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        x = pad + c * (tile_width + pad)
        y = header + pad + r * (tile_height + caption + pad)
        rgb = (to_display_rgb(tile.image) * 255.0 + 0.5).astype(np.uint8)
        thumb = Image.fromarray(rgb).resize((tile_width, tile_height), Image.Resampling.LANCZOS)
        sheet.paste(thumb, (x, y))
        draw.text((x, y + tile_height + 4), tile.title, fill=(0, 0, 0), font=big)
        if tile.subtitle:
            draw.text((x, y + tile_height + 26), tile.subtitle, fill=(70, 70, 70), font=small)
    return np.asarray(sheet, dtype=np.float32) / 255.0
