"""Typed errors of the video package (subclasses of the image ones, so callers handle them alike)."""

from __future__ import annotations

from matting_studio.core.errors import ImageReadError, ImageWriteError


class VideoReadError(ImageReadError):
    """A video or image sequence could not be opened or decoded."""


class VideoWriteError(ImageWriteError):
    """A video could not be encoded (unknown container, codec missing from this FFmpeg build)."""
