"""Matting over time: real cues reach the pipeline; smoothing halves flicker on a still subject without
making moving edges lag; cancellation is prompt."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core.errors import Cancelled
from matting_studio.core.progress import CancelToken
from matting_studio.video.clip import VideoOptions, matte_frames

from video_clips import disc_frames


def flicker(alphas):
    return float(np.mean([np.abs(a - b).mean() for a, b in zip(alphas[1:], alphas[:-1])]))


def test_pipeline_gets_each_frames_neighbours_as_cues(fake_pipeline):
    frames = disc_frames(4)
    list(matte_frames(frames, fake_pipeline, VideoOptions(motion_cues=True)))
    cues = fake_pipeline.motions
    assert len(cues) == 4 and cues[2].shape == (4, 64, 96)
    assert not np.allclose(cues[2][0], cues[2][3])  # frames 0 and 3 differ: real neighbours, not repeats
    fake_pipeline.motions.clear()
    list(matte_frames(frames, fake_pipeline, VideoOptions(motion_cues=False)))
    assert fake_pipeline.motions == [None] * 4  # the pipeline repeats the frame itself, as for a photo


def test_smoothing_halves_flicker_on_a_still_subject(fake_pipeline):
    frames = disc_frames(12, step=0.0, noise=0.015, seed=1)
    alone = [m.alpha for m in matte_frames(frames, fake_pipeline, VideoOptions(smoothing=0.0))]
    smooth = [m.alpha for m in matte_frames(frames, fake_pipeline, VideoOptions())]
    assert flicker(smooth) <= 0.5 * flicker(alone)


def test_moving_edges_do_not_lag(fake_pipeline):
    frames = disc_frames(8, step=4.0)
    alone = [m.alpha for m in matte_frames(frames, fake_pipeline, VideoOptions(smoothing=0.0))]
    smooth = [m.alpha for m in matte_frames(frames, fake_pipeline, VideoOptions(smoothing=0.9))]
    assert np.abs(smooth[-1] - alone[-1]).mean() < 0.01


def test_cancel_stops_between_frames(fake_pipeline):
    token = CancelToken()
    done = []
    with pytest.raises(Cancelled):
        for matte in matte_frames(disc_frames(6), fake_pipeline, cancel=token):
            done.append(matte.index)
            if matte.index == 1:
                token.cancel()
    assert done == [0, 1]


def test_the_method_is_chosen_on_the_first_frame_and_kept_for_the_whole_clip(fake_pipeline):
    """A clip never switches method mid-way (e.g. a fade to black would look black-and-white)."""
    asked = []

    def method_for(image, *, trimap_given=False):
        asked.append(image)
        return "cf" if len(asked) == 1 else "dlmng"

    fake_pipeline.method_for = method_for
    list(matte_frames(disc_frames(5), fake_pipeline))
    assert len(asked) == 1 and fake_pipeline.methods == ["cf"] * 5
