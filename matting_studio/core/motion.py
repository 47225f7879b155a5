"""Motion cues: four grayscale frames stacked, ``(4, H, W)`` float32 in [0, 1].

For one photo the same frame is repeated; for a burst or video the four frames around the current one.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from matting_studio.core.errors import MattingError

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601
CURRENT_FRAME = 2  # the cues are frames t-2, t-1, t, t+1: the current one is channel 2


def grayscale(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` RGB (or ``(H, W)`` gray) → ``(H, W)`` float32 luma."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        return image
    if image.ndim != 3 or image.shape[2] < 3:
        raise MattingError(f"Expected an (H, W, 3) image, got shape {image.shape}.")
    return image[..., :3] @ _LUMA


def motion_cues(frames: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """One image (repeated four times) or up to four frames → ``(4, H, W)``."""
    if isinstance(frames, np.ndarray) and frames.ndim in (2, 3) and (frames.ndim == 2 or frames.shape[2] in (3, 4)):
        frames = [frames]
    return motion_cues_for_sequence(list(frames), index=len(frames) // 2)


def motion_cues_for_sequence(frames: Sequence[np.ndarray], index: int) -> np.ndarray:
    """The four frames ``index-2 .. index+1`` of a sequence (edges repeated), in temporal order (the current one
    at :data:`CURRENT_FRAME`)."""
    if not frames:
        raise MattingError("Motion cues need at least one frame.")
    if not 0 <= index < len(frames):
        raise MattingError(f"Frame index {index} is outside the sequence of {len(frames)} frames.")
    shape = np.asarray(frames[0]).shape[:2]
    picks = [min(max(i, 0), len(frames) - 1) for i in range(index - CURRENT_FRAME, index - CURRENT_FRAME + 4)]
    out = []
    for i in picks:
        gray = grayscale(frames[i])
        if gray.shape != shape:
            raise MattingError("All frames of a sequence must have the same size.")
        out.append(gray)
    return np.stack(out).astype(np.float32)
