"""Video encoding with PyAV, one frame at a time, into a temporary file published atomically on close.

The container follows the output's suffix: ``.mp4`` H.264; ``.mov`` H.264, or ProRes 4444 with alpha; ``.webm``
VP9 (with alpha: VP9's alpha side-channel); ``.mkv`` H.264, or FFV1 with alpha. The frame rate is the caller's
(the source's); the source's audio is copied packet for packet when the container takes its codec, else
re-encoded (AAC, or Opus for WebM), and interleaved with the video as it is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional, Union

import numpy as np

from matting_studio.core.errors import OutputExistsError
from matting_studio.video.errors import VideoWriteError
from matting_studio.video.sources import VIDEO_SUFFIXES


@dataclass(frozen=True)
class Encoding:
    format: str  # FFmpeg muxer
    codec: str
    pix_fmt: str
    options: tuple[tuple[str, str], ...] = ()


_H264 = ("libx264", "yuv420p", (("crf", "18"), ("preset", "veryfast")))
_VP9 = (("crf", "32"), ("b", "0"), ("deadline", "realtime"), ("cpu-used", "8"), ("row-mt", "1"))
OPAQUE = {
    ".mp4": Encoding("mp4", *_H264),
    ".mov": Encoding("mov", *_H264),
    ".mkv": Encoding("matroska", *_H264),
    ".webm": Encoding("webm", "libvpx-vp9", "yuv420p", _VP9),
}
TRANSPARENT = {
    ".mov": Encoding("mov", "prores_ks", "yuva444p10le", (("profile", "4444"),)),
    ".webm": Encoding("webm", "libvpx-vp9", "yuva420p", _VP9 + (("auto-alt-ref", "0"),)),
    ".mkv": Encoding("matroska", "ffv1", "yuva420p"),
}
# audio codecs each container takes as they are; anything else is re-encoded to the second element
AUDIO = {
    ".mp4": ({"aac", "mp3", "alac", "opus", "flac", "ac3"}, "aac"),
    ".mov": ({"aac", "mp3", "alac", "pcm_s16le", "pcm_s24le", "ac3"}, "aac"),
    ".webm": ({"opus", "vorbis"}, "libopus"),
    ".mkv": (None, "aac"),  # None: Matroska takes any codec
}


def encoding_for(path: Union[str, Path], *, alpha: bool) -> Encoding:
    """The container and codec for ``path``'s suffix; :class:`VideoWriteError` if it cannot hold the request."""
    suffix = Path(path).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise VideoWriteError(f"'{path}' is not a video file name ({', '.join(VIDEO_SUFFIXES)}).")
    table = TRANSPARENT if alpha else OPAQUE
    if suffix not in table:
        raise VideoWriteError(f"A {suffix} video cannot be transparent; write .webm, .mov or .mkv, or give a "
                              "background.")
    return table[suffix]


def codec_available(name: str) -> bool:
    """True when PyAV's FFmpeg has an encoder called ``name``."""
    import av

    try:
        av.codec.Codec(name, "w")
    except (av.error.FFmpegError, ValueError):  # older PyAV raise UnknownCodecError (a ValueError)
        return False
    return True


class _AudioTrack:
    """The first audio stream of ``source`` muxed into ``container``, copied or re-encoded, in time order."""

    def __init__(self, source: Path, container, suffix: str) -> None:
        import av

        self._input = av.open(str(source))
        in_stream = self._input.streams.audio[0]
        accepted, fallback = AUDIO[suffix]
        self.copy = accepted is None or in_stream.codec_context.name in accepted
        if self.copy:
            self._out = container.add_stream_from_template(in_stream)
        else:
            rate = 48000 if fallback == "libopus" else in_stream.codec_context.sample_rate
            self._out = container.add_stream(fallback, rate=rate)
            self._out.layout = in_stream.codec_context.layout
        self._container = container
        self._packets = self._input.demux(in_stream)
        self._held = None  # a packet read past the time written so far

    def write_until(self, seconds: Optional[float]) -> None:
        """Mux the audio up to ``seconds`` (all of it when None)."""
        while True:
            packet = self._held or next(self._packets, None)
            self._held = None
            if packet is None:
                break
            if packet.dts is None:  # the demuxer's flush packet
                continue
            if seconds is not None and packet.pts is not None and float(packet.pts * packet.time_base) > seconds:
                self._held = packet
                return
            if self.copy:
                packet.stream = self._out
                self._container.mux(packet)
            else:
                for frame in packet.decode():
                    frame.pts = None
                    self._container.mux(self._out.encode(frame))
        if not self.copy:
            self._container.mux(self._out.encode(None))

    def close(self) -> None:
        self._input.close()


class VideoSink:
    """Encode frames into ``path``; use as a context manager (an exception leaves no file behind).

    ``write(frame)`` takes ``(H, W, 3)`` RGB, or ``(H, W, 4)`` straight RGBA when ``alpha``, float in [0, 1] or
    uint8. Odd sizes are padded to even by repeating the last row / column (4:2:0 needs even sizes).
    """

    def __init__(
        self,
        path: Union[str, Path],
        *,
        fps: Fraction,
        size: tuple[int, int],
        alpha: bool = False,
        audio_from: Optional[Path] = None,
        overwrite: bool = False,
    ) -> None:
        import av

        self.path = Path(path)
        if self.path.exists() and not overwrite:
            raise OutputExistsError(f"'{self.path}' already exists; use --force to overwrite it.")
        self.encoding = encoding_for(self.path, alpha=alpha)
        if not codec_available(self.encoding.codec):
            raise VideoWriteError(f"This FFmpeg build has no '{self.encoding.codec}' encoder for {self.path.suffix}.")
        self.alpha = alpha
        self.fps = Fraction(fps)
        self.width, self.height = int(size[0]), int(size[1])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.stem}.partial{self.path.suffix}")
        self._audio = None
        self._container = av.open(str(self._tmp), "w", format=self.encoding.format)
        try:
            self._stream = self._container.add_stream(self.encoding.codec, rate=self.fps)
            self._stream.width = self.width + self.width % 2
            self._stream.height = self.height + self.height % 2
            self._stream.pix_fmt = self.encoding.pix_fmt
            self._stream.options = dict(self.encoding.options)
            if audio_from is not None:
                with av.open(str(audio_from)) as probe:
                    has_audio = bool(probe.streams.audio)
                if has_audio:
                    self._audio = _AudioTrack(Path(audio_from), self._container, self.path.suffix.lower())
        except BaseException:
            self._discard()
            raise
        self.frames_written = 0

    def write(self, frame: np.ndarray) -> None:
        import av

        frame = np.asarray(frame)
        channels = 4 if self.alpha else 3
        if frame.shape != (self.height, self.width, channels):
            raise VideoWriteError(f"A frame of shape {frame.shape} does not fit a {self.width}x{self.height} "
                                  f"{'RGBA' if self.alpha else 'RGB'} video.")
        if frame.dtype != np.uint8:
            frame = (np.clip(frame, 0, 1) * 255 + 0.5).astype(np.uint8)
        if self.width % 2 or self.height % 2:
            frame = np.pad(frame, ((0, self.height % 2), (0, self.width % 2), (0, 0)), mode="edge")
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgba" if self.alpha else "rgb24")
        video_frame.pts = self.frames_written
        if self._audio is not None:
            self._audio.write_until(float(self.frames_written / self.fps))
        self._container.mux(self._stream.encode(video_frame))
        self.frames_written += 1

    def close(self) -> Path:
        """Flush the encoder, finish the audio and publish the file; returns its path."""
        try:
            self._container.mux(self._stream.encode(None))
            if self._audio is not None:
                self._audio.write_until(None)
                self._audio.close()
            self._container.close()
        except BaseException:
            self._discard()
            raise
        os.replace(self._tmp, self.path)
        return self.path

    def _discard(self) -> None:
        try:
            if self._audio is not None:
                self._audio.close()
        except Exception:
            pass
        try:
            self._container.close()
        except Exception:
            pass
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "VideoSink":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._discard()
