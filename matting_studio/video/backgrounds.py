"""What goes behind the subject on every frame: nothing (transparent), a colour, an image, the frame itself
blurred, or another video (looped when shorter than the clip)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from matting_studio.core import imageio
from matting_studio.core.compositing import (
    CompositingError, blurred_background, image_background, parse_color, solid_background,
)
from matting_studio.core.errors import MattingError
from matting_studio.video.sources import VIDEO_SUFFIXES, is_video_path, open_source

BLUR = "blur"
NAMED_COLOURS = {"white": "#ffffff", "black": "#000000", "green": "#00b140", "blue": "#0047bb", "grey": "#808080"}


@dataclass(frozen=True)
class Background:
    kind: str  # "colour" | "image" | "video" | "blur"
    value: object = None  # colour (3,) float32 | image path | video path


def parse_background(text: Optional[str]) -> Optional[Background]:
    """``None`` (transparent), ``blur``, ``#rrggbb`` or a colour name, an image file, or a video file."""
    if text is None:
        return None
    if text == BLUR:
        return Background(BLUR)
    colour = NAMED_COLOURS.get(text.lower(), text)
    if colour.startswith("#"):
        try:
            return Background("colour", parse_color(colour))
        except CompositingError as exc:
            raise MattingError(f"--background: {exc}") from exc
    path = Path(text)
    if not path.is_file():
        raise MattingError(f"The background '{text}' is not a colour (#rrggbb, {', '.join(NAMED_COLOURS)}), "
                           f"'{BLUR}', or an existing image or video ({', '.join(VIDEO_SUFFIXES)}).")
    return Background("video" if is_video_path(path) else "image", path)


def background_frames(background: Background, originals: Iterator[np.ndarray], shape: tuple[int, int]
                      ) -> Iterator[np.ndarray]:
    """An endless stream of ``(H, W, 3)`` float32 backgrounds of ``shape`` (``originals``: the clip's own frames,
    read only for ``blur``)."""
    if background.kind == "colour":
        plate = solid_background(shape, background.value)
        while True:
            yield plate
    elif background.kind == "image":
        plate = image_background(imageio.load_image(background.value).rgb, shape, mode="fill")
        while True:
            yield plate
    elif background.kind == "video":
        source = open_source(background.value)
        while True:
            for frame in source.frames():
                yield image_background(frame, shape, mode="fill")
    else:
        for frame in originals:
            yield blurred_background(frame)
