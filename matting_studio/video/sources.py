"""Frame sources: video files (PyAV) and folders of numbered frames, read one frame at a time.

A source knows its size, frame rate and (approximate) frame count without decoding; ``frames()`` is a fresh
generator of ``(H, W, 3)`` float32 RGB in [0, 1] each time it is called, holding one decoded frame at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np

from matting_studio.core import imageio
from matting_studio.video.errors import VideoReadError

VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv")
DEFAULT_SEQUENCE_FPS = Fraction(25)
_NUMBER = re.compile(r"(\d+)(?!.*\d)")  # the last run of digits in a file name


def is_video_path(path: Union[str, Path]) -> bool:
    """True when ``path`` names a video container this package reads and writes."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class SourceInfo:
    width: int
    height: int
    fps: Fraction
    frame_count: Optional[int]  # None when the container does not say
    has_audio: bool


class VideoFileSource:
    """A video file; decoding is multi-threaded inside FFmpeg and streams frame by frame."""

    def __init__(self, path: Union[str, Path]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise VideoReadError(f"The video '{self.path}' does not exist.")
        with self._open() as container:
            if not container.streams.video:
                raise VideoReadError(f"'{self.path}' has no video stream.")
            stream = container.streams.video[0]
            fps = stream.average_rate or stream.guessed_rate or Fraction(25)
            count = stream.frames or None
            if count is None and stream.duration and stream.time_base:
                count = max(1, round(float(stream.duration * stream.time_base * fps)))
            if count is None and container.duration:
                count = max(1, round(container.duration / 1e6 * float(fps)))
            self.info = SourceInfo(stream.codec_context.width, stream.codec_context.height, Fraction(fps),
                                   count, bool(container.streams.audio))

    def _open(self):
        import av

        try:
            return av.open(str(self.path))
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise VideoReadError(f"'{self.path}' is not a readable video ({exc.__class__.__name__}).") from exc

    def frames(self) -> Iterator[np.ndarray]:
        import av

        with self._open() as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            try:
                for frame in container.decode(stream):
                    yield frame.to_ndarray(format="rgb24").astype(np.float32) * np.float32(1 / 255)
            except av.error.FFmpegError as exc:
                raise VideoReadError(f"'{self.path}' could not be decoded past a frame ({exc}).") from exc


def numbered_frames(folder: Path) -> list[Path]:
    """The images of ``folder`` that carry a frame number, in numeric order (``f9.png`` before ``f10.png``)."""
    numbered = [p for p in imageio.list_images(folder) if _NUMBER.search(p.stem)]
    return sorted(numbered, key=lambda p: (int(_NUMBER.search(p.stem).group(1)), p.name))


class ImageSequenceSource:
    """A folder of numbered frames (``frame_0001.png`` …), or the photos of a burst in the given order
    (:meth:`of_files`); every frame must have the same size. ``path`` is the folder (a burst's first photo's)."""

    def __init__(self, folder: Union[str, Path], fps: Fraction = DEFAULT_SEQUENCE_FPS, *,
                 files: Optional[list[Path]] = None) -> None:
        self.path = Path(folder)
        if files is None:
            files = numbered_frames(self.path) if self.path.is_dir() else []
            if not files:
                raise VideoReadError(f"'{self.path}' holds no numbered frames (like frame_0001.png).")
        self.files = [Path(f) for f in files]
        first = imageio.load_image(self.files[0]).rgb
        self.info = SourceInfo(first.shape[1], first.shape[0], Fraction(fps), len(self.files), False)

    @classmethod
    def of_files(cls, files: list[Union[str, Path]], fps: Fraction = DEFAULT_SEQUENCE_FPS) -> "ImageSequenceSource":
        """A burst: ``files`` (at least two photos) as frames, in this order."""
        files = [Path(f) for f in files]
        if len(files) < 2:
            raise VideoReadError("A burst needs at least two photos; select more in the filmstrip.")
        return cls(files[0].parent, fps, files=files)

    def frames(self) -> Iterator[np.ndarray]:
        for path in self.files:
            rgb = imageio.load_image(path).rgb
            if rgb.shape[:2] != (self.info.height, self.info.width):
                raise VideoReadError(f"'{path.name}' is {rgb.shape[1]}x{rgb.shape[0]}; the sequence's frames are "
                                     f"{self.info.width}x{self.info.height}.")
            yield rgb


FrameSource = Union[VideoFileSource, ImageSequenceSource]


def open_source(path: Union[str, Path], *, fps: Optional[Fraction] = None) -> FrameSource:
    """A video file or a folder of numbered frames (``fps`` sets a sequence's rate; default 25)."""
    path = Path(path)
    if path.is_dir():
        return ImageSequenceSource(path, fps or DEFAULT_SEQUENCE_FPS)
    if is_video_path(path):
        return VideoFileSource(path)
    raise VideoReadError(f"'{path}' is neither a video ({', '.join(VIDEO_SUFFIXES)}) nor a folder of frames.")
