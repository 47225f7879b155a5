"""Matting over time: segmentation, trimap and matting on every frame, with the frame's real motion cues and
the soft mask and alpha smoothed across frames where nothing moves (``temporal``).

:class:`ClipMatting` is the per-clip state (the previous frame's smoothed soft mask and alpha); it can be
saved and restored between frames, which is what makes a long clip resumable with identical results.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional

import numpy as np

from matting_studio.core.progress import CancelToken, check_cancel
from matting_studio.core.trimap import UNKNOWN
from matting_studio.video.align import warp
from matting_studio.video.cues import FrameWithCues, frames_with_cues
from matting_studio.video.temporal import DEFAULT_STRENGTH, agreement, blend, motion_gate


@dataclass(frozen=True)
class VideoOptions:
    """How a clip is matted.

    ``smoothing``: weight of the previous frame where nothing moves (0: each frame alone). ``motion_cues``: give
    the learned networks the frame's aligned neighbours as motion cues; off, they get the frame repeated, as
    for a photo (what the shipped weights were trained with; see the README's video section for the figures).
    ``align``: compensate camera shake (for the cues and the smoothing).
    """

    smoothing: float = DEFAULT_STRENGTH
    motion_cues: bool = False
    align: bool = True


@dataclass
class FrameMatte:
    index: int
    image: np.ndarray  # (H, W, 3) float32 [0, 1]
    alpha: np.ndarray  # (H, W) float32 [0, 1], smoothed over time
    foreground: np.ndarray  # (H, W, 3) float32 [0, 1]
    trimap: np.ndarray  # (H, W) {0, 0.5, 1}
    timings: dict[str, float] = field(default_factory=dict)


class ClipMatting:
    """Mattes the frames of one clip in order with ``pipeline`` (an ``engine.pipeline.Pipeline``)."""

    def __init__(self, pipeline, options: VideoOptions = VideoOptions()) -> None:
        self.pipeline = pipeline
        self.options = options
        self._soft: Optional[np.ndarray] = None  # previous frame's smoothed soft mask
        self._alpha: Optional[np.ndarray] = None  # previous frame's smoothed alpha
        self._method: Optional[str] = None  # chosen on the first frame matted, kept for the clip (no switching)

    def step(
        self, frame: FrameWithCues, *, trimap: Optional[np.ndarray] = None, cancel: Optional[CancelToken] = None
    ) -> FrameMatte:
        """Matte one frame (the frames must come in order). With ``trimap`` the segmentation is skipped."""
        t0 = time.perf_counter()
        gate = motion_gate(frame.gray, frame.previous, self.options.smoothing)
        shift = frame.shift_from_previous
        soft = None
        if trimap is None:
            soft = self.pipeline.segment(frame.image, cancel=cancel)
            previous = None if self._soft is None else warp(self._soft, shift)
            soft = blend(previous, soft, gate * agreement(previous, soft))
        check_cancel(cancel)
        motion = frame.cues if self.options.motion_cues else None
        if self._method is None:
            self._method = self.pipeline.method_for(frame.image, trimap_given=trimap is not None)
        result = self.pipeline.run(frame.image, trimap=trimap, soft_mask=soft, motion=motion, method=self._method,
                                   cancel=cancel)
        previous = None if self._alpha is None else warp(self._alpha, shift)
        alpha = blend(previous, result.alpha, gate * agreement(previous, result.alpha))
        known = result.trimap != UNKNOWN
        alpha[known] = result.trimap[known]  # known pixels stay exactly what the (smoothed) trimap says
        self._soft, self._alpha = soft, alpha  # only once the frame is complete (a cancel leaves the state)
        timings = dict(result.timings, frame=time.perf_counter() - t0)
        return FrameMatte(frame.index, frame.image, alpha, result.foreground, result.trimap, timings)

    def state(self) -> dict[str, np.ndarray]:
        """The arrays carried from frame to frame (for a resume file)."""
        return {name: value for name, value in (("soft", self._soft), ("alpha", self._alpha)) if value is not None}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self._soft = state.get("soft")
        self._alpha = state.get("alpha")


def matte_frames(
    frames: Iterable[np.ndarray],
    pipeline,
    options: VideoOptions = VideoOptions(),
    *,
    trimaps: Optional[Iterable[np.ndarray]] = None,
    cancel: Optional[CancelToken] = None,
) -> Iterator[FrameMatte]:
    """Every frame of ``frames`` matted in order (streaming; ``trimaps``, if given, one per frame)."""
    clip = ClipMatting(pipeline, options)
    trimap_iter = iter(trimaps) if trimaps is not None else None
    for frame in frames_with_cues(frames, align=options.align):
        check_cancel(cancel)
        yield clip.step(frame, trimap=next(trimap_iter) if trimap_iter else None, cancel=cancel)
