"""Streaming motion cues: each frame with its neighbours ``t-2, t-1, t+1`` aligned onto it.

Holds three grayscale frames and one colour frame of look-ahead, whatever the clip's length.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from matting_studio.core.motion import CURRENT_FRAME, grayscale, motion_cues
from matting_studio.video.align import estimate_shift, warp


@dataclass
class FrameWithCues:
    index: int
    image: np.ndarray  # (H, W, 3) float32 [0, 1]
    gray: np.ndarray  # (H, W) float32: the frame's luma
    cues: np.ndarray  # (4, H, W) float32: frames t-2, t-1, t, t+1, aligned onto t (edges repeated)
    previous: np.ndarray | None  # (H, W) float32: frame t-1 aligned onto t (None for the first frame)
    shift_from_previous: tuple[float, float]  # (dx, dy) that brings frame t-1 onto t


def frames_with_cues(frames: Iterable[np.ndarray], *, align: bool = True) -> Iterator[FrameWithCues]:
    """Yield every frame of ``frames`` with its motion cues, one frame behind the decoder."""
    grays: deque[np.ndarray] = deque(maxlen=4)  # t-2, t-1, t, t+1
    shifts: deque[tuple[float, float]] = deque(maxlen=4)  # shifts[i]: from grays[i-1] onto grays[i]
    pending: deque[np.ndarray] = deque()  # colour frames not yet yielded
    index = 0

    def emit(current: int) -> FrameWithCues:
        # current: position of frame t in ``grays``; neighbours past either end repeat the edge frame
        offsets = {}
        for k in range(current - 1, -1, -1):  # earlier frames: add the shifts from k+1 .. current
            dx = sum(shifts[j][0] for j in range(k + 1, current + 1))
            dy = sum(shifts[j][1] for j in range(k + 1, current + 1))
            offsets[k] = (dx, dy)
        if current + 1 < len(grays):
            offsets[current + 1] = (-shifts[current + 1][0], -shifts[current + 1][1])
        offsets[current] = (0.0, 0.0)
        aligned = {k: warp(grays[k], offsets[k]) for k in offsets}
        picks = [min(max(k, 0), len(grays) - 1) for k in range(current - CURRENT_FRAME, current - CURRENT_FRAME + 4)]
        cues = motion_cues([aligned[k] for k in picks])
        return FrameWithCues(
            index=index,
            image=pending.popleft(),
            gray=grays[current],
            cues=cues,
            previous=aligned.get(current - 1),
            shift_from_previous=shifts[current] if current > 0 else (0.0, 0.0),
        )

    for frame in frames:
        gray = grayscale(frame)
        shift = estimate_shift(grays[-1], gray) if (align and grays) else (0.0, 0.0)
        if len(grays) == 4:  # keep t-1, t, t+1 as the next t-2, t-1, t
            grays.popleft()
            shifts.popleft()
        grays.append(gray)
        shifts.append(shift)
        pending.append(frame)
        if len(grays) >= 2 and len(pending) == 2:  # frame t = the one before the newest
            yield emit(len(grays) - 2)
            index += 1
    if pending:  # the last frame: no frame after it
        yield emit(len(grays) - 1)
