"""Streaming cues: each frame with its real neighbours, aligned, one frame of look-ahead."""

from __future__ import annotations

import numpy as np

from matting_studio.core.motion import grayscale
from matting_studio.video.cues import frames_with_cues

from video_clips import disc_frames


def test_cues_are_the_neighbours_in_order_with_edges_repeated():
    frames = disc_frames(5)
    grays = [grayscale(f) for f in frames]
    out = list(frames_with_cues(frames, align=False))
    assert [f.index for f in out] == [0, 1, 2, 3, 4]
    for item in out:
        t = item.index
        expected = [grays[min(max(k, 0), 4)] for k in (t - 2, t - 1, t, t + 1)]
        assert item.cues.shape == (4, 64, 96) and item.cues.dtype == np.float32
        np.testing.assert_allclose(item.cues, np.stack(expected), atol=1e-6)
        assert item.image is frames[t]
    assert out[0].previous is None and out[1].previous is not None


def test_camera_shake_is_aligned_away_but_subject_motion_stays():
    shaky = disc_frames(6, 128, 96, step=0.0, shake=4.0, seed=3)  # a still subject, a shaking camera
    inner = (slice(None), slice(8, -8), slice(8, -8))
    def spread(item):  # how much the four cue frames disagree
        return np.abs(item.cues[inner] - item.cues[2][inner[1:]]).mean()
    aligned = [spread(f) for f in frames_with_cues(shaky, align=True)]
    raw = [spread(f) for f in frames_with_cues(shaky, align=False)]
    assert max(aligned) < 0.004 and np.mean(raw) > 5 * np.mean(aligned)
    moving = list(frames_with_cues(disc_frames(6, 128, 96, step=4.0), align=True))
    assert spread(moving[3]) > 0.01  # the disc moved: the cues show it


def test_only_one_frame_is_read_ahead():
    consumed = []

    def source():
        for i, frame in enumerate(disc_frames(6)):
            consumed.append(i)
            yield frame

    stream = frames_with_cues(source())
    for expected, item in enumerate(stream):
        assert item.index == expected
        assert len(consumed) == min(expected + 2, 6)


def test_a_single_frame_repeats_itself():
    (only,) = list(frames_with_cues(disc_frames(1)))
    assert np.all(only.cues == only.cues[0])
