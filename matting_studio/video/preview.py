"""One frame of a clip matted with its neighbours as cues and composited: what the app's slider shows."""

from __future__ import annotations

from itertools import islice
from typing import Optional

import numpy as np

from matting_studio.core.compositing import composite, cutout_rgba
from matting_studio.core.errors import MattingError
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report
from matting_studio.video.backgrounds import Background, background_frames
from matting_studio.video.clip import ClipMatting, VideoOptions
from matting_studio.video.cues import frames_with_cues
from matting_studio.video.sources import FrameSource


def preview_frame(
    source: FrameSource,
    index: int,
    pipeline,
    *,
    background: Optional[Background] = None,
    options: VideoOptions = VideoOptions(),
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> np.ndarray:
    """Frame ``index`` on ``background``: ``(H, W, 3)``, or ``(H, W, 4)`` RGBA cut-out when it is None.

    Only frames ``index-2 .. index+1`` are matted for their cues; there is no history to smooth with.
    """
    start = max(0, index - 2)
    window = list(islice(source.frames(), start, index + 2))
    if len(window) <= index - start:
        raise MattingError(f"The clip has no frame {index + 1}.")
    report(progress, 0.1, f"Matting frame {index + 1}")
    clip = ClipMatting(pipeline, options)
    for frame in frames_with_cues(window, align=options.align):
        check_cancel(cancel)
        if frame.index == index - start:
            matte = clip.step(frame, cancel=cancel)
            break
    report(progress, 1.0, "Done")
    if background is None:
        return cutout_rgba(matte.foreground, matte.alpha)
    plate = next(background_frames(background, iter([matte.image]), matte.image.shape[:2]))
    return composite(matte.foreground, matte.alpha, plate)
