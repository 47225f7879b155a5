"""Encoding: round trips of frame count, size and rate per container; alpha; audio; atomic, no overwrite."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from matting_studio.core.errors import OutputExistsError
from matting_studio.video.errors import VideoWriteError
from matting_studio.video.sinks import VideoSink, encoding_for
from matting_studio.video.sources import open_source

from video_clips import FPS, decode, disc_frames, write_clip


@pytest.mark.parametrize("name", ["out.mp4", "out.mov", "out.webm", "out.mkv"])
def test_round_trip_keeps_frames_size_and_rate(tmp_path, name):
    frames = disc_frames(6, 96, 64)
    with VideoSink(tmp_path / name, fps=Fraction(25), size=(96, 64)) as sink:
        for frame in frames:
            sink.write(frame)
    decoded, rate = decode(tmp_path / name)
    assert len(decoded) == 6 and decoded[0].shape == (64, 96, 3) and rate == 25
    assert np.abs(decoded[2] / 255.0 - frames[2]).mean() < 0.03


@pytest.mark.parametrize("name", ["alpha.webm", "alpha.mov", "alpha.mkv"])
def test_transparent_videos_carry_the_alpha(tmp_path, name):
    frame = disc_frames(1, 64, 48)[0]
    ramp = np.tile(np.linspace(0, 1, 64, dtype=np.float32), (48, 1))[..., None]
    with VideoSink(tmp_path / name, fps=FPS, size=(64, 48), alpha=True) as sink:
        for _ in range(3):
            sink.write(np.concatenate([frame, ramp], axis=2))
    decoded, _ = decode(tmp_path / name, alpha=True)
    assert len(decoded) == 3
    assert np.abs(decoded[1][..., 3] / 255.0 - ramp[..., 0]).mean() < 0.03


def test_audio_is_copied_or_reencoded_for_the_container(tmp_path):
    source = open_source(write_clip(tmp_path / "talk.mp4", disc_frames(12), audio=True))
    for name, codec in (("copy.mp4", "aac"), ("opus.webm", "opus")):
        with VideoSink(tmp_path / name, fps=source.info.fps, size=(96, 64), audio_from=source.path) as sink:
            for frame in source.frames():
                sink.write(frame)
        with av.open(str(tmp_path / name)) as container:
            audio = container.streams.audio[0]
            assert audio.codec_context.name == codec
            seconds = sum(f.samples for f in container.decode(audio)) / audio.codec_context.sample_rate
        assert seconds == pytest.approx(12 / 24, abs=0.06)


def test_odd_sizes_are_padded_to_even(tmp_path):
    with VideoSink(tmp_path / "odd.mp4", fps=FPS, size=(33, 21)) as sink:
        sink.write(np.full((21, 33, 3), 0.5, np.float32))
    decoded, _ = decode(tmp_path / "odd.mp4")
    assert decoded[0].shape == (22, 34, 3)


def test_refusals_and_atomicity(tmp_path):
    with pytest.raises(VideoWriteError, match="cannot be transparent"):
        encoding_for(tmp_path / "a.mp4", alpha=True)
    with pytest.raises(VideoWriteError, match="not a video file name"):
        encoding_for(tmp_path / "a.gif", alpha=False)
    existing = tmp_path / "keep.mp4"
    existing.write_bytes(b"user's file")
    with pytest.raises(OutputExistsError):
        VideoSink(existing, fps=FPS, size=(16, 16))
    assert existing.read_bytes() == b"user's file"
    with pytest.raises(RuntimeError):
        with VideoSink(tmp_path / "broken.mp4", fps=FPS, size=(16, 16)) as sink:
            sink.write(np.zeros((16, 16, 3), np.float32))
            raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]  # no partial file left
    with VideoSink(tmp_path / "size.mp4", fps=FPS, size=(16, 16)) as sink:
        with pytest.raises(VideoWriteError, match="does not fit"):
            sink.write(np.zeros((8, 16, 3), np.float32))
        sink.write(np.zeros((16, 16, 3), np.float32))
