"""Typed errors. Every message is a complete sentence a user can act on (the CLI prints it on one line)."""

from __future__ import annotations


class MattingError(Exception):
    """Base of every error Matting Studio raises on purpose (bad input, missing weights, ...)."""


class ImageReadError(MattingError):
    """A file could not be read as an image (missing, empty, truncated, not an image, unsupported)."""


class ImageTooLargeError(ImageReadError):
    """The image has more pixels than the configured limit (decompression-bomb guard)."""


class ImageWriteError(MattingError):
    """An output could not be written."""


class OutputExistsError(ImageWriteError):
    """The output exists and overwriting was not allowed (or the output is one of the inputs)."""


class TrimapError(MattingError):
    """A trimap is invalid: wrong size, wrong values, or no unknown / known region."""


class NoSubjectError(MattingError):
    """Automatic segmentation found no subject, so there is nothing to cut out."""


class MethodError(MattingError):
    """An unknown matting method, or a method that failed on its input."""


class WeightsError(MattingError):
    """Model weights are missing, corrupt (sha256 mismatch) or incompatible."""


class DeviceError(MattingError):
    """The requested compute device is not available."""


class DatasetError(MattingError):
    """A dataset folder is missing parts or its files do not pair up."""


class Cancelled(MattingError):
    """The user cancelled a running operation (raised from inside the work, promptly)."""


class ConfigError(MattingError):
    """A training configuration or recipe file is invalid."""
