"""Reading clips: video files frame by frame, numbered image sequences, clear errors."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from matting_studio.core import imageio
from matting_studio.video.errors import VideoReadError
from matting_studio.video.sources import ImageSequenceSource, VideoFileSource, numbered_frames, open_source

from video_clips import disc_frames, write_clip


def test_video_file_decodes_every_frame_with_its_size_and_rate(tmp_path):
    frames = disc_frames(7, 96, 64)
    source = open_source(write_clip(tmp_path / "clip.mp4", frames, Fraction(30000, 1001)))
    assert isinstance(source, VideoFileSource)
    assert (source.info.width, source.info.height, source.info.fps) == (96, 64, Fraction(30000, 1001))
    assert source.info.frame_count == 7
    decoded = list(source.frames())
    assert len(decoded) == 7 and decoded[0].shape == (64, 96, 3) and decoded[0].dtype == np.float32
    assert np.abs(decoded[3] - frames[3]).mean() < 0.02  # near-lossless encode
    assert len(list(source.frames())) == 7  # frames() starts again each time


def test_frames_are_decoded_lazily(tmp_path):
    source = open_source(write_clip(tmp_path / "clip.mkv", disc_frames(5)))
    stream = source.frames()
    first = next(stream)
    assert first.shape == (64, 96, 3)
    stream.close()


def test_sequence_is_read_in_numeric_order(tmp_path):
    frames = disc_frames(11, 48, 32)
    for i, frame in enumerate(frames):
        imageio.save_png(tmp_path / f"shot{i}.png", frame)
    imageio.save_png(tmp_path / "notes.png", frames[0])  # no number: not a frame
    names = [p.name for p in numbered_frames(tmp_path)]
    assert names[:3] == ["shot0.png", "shot1.png", "shot2.png"] and names[-1] == "shot10.png"
    source = open_source(tmp_path, fps=Fraction(12))
    assert isinstance(source, ImageSequenceSource)
    assert source.info.frame_count == 11 and source.info.fps == 12
    decoded = list(source.frames())
    assert np.abs(decoded[10] - frames[10]).max() < 1 / 255 + 1e-6


def test_bad_inputs_raise_read_errors(tmp_path):
    with pytest.raises(VideoReadError, match="does not exist"):
        open_source(tmp_path / "missing.mp4")
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all")
    with pytest.raises(VideoReadError, match="not a readable video"):
        open_source(tmp_path / "junk.mp4")
    with pytest.raises(VideoReadError, match="neither a video"):
        open_source(tmp_path / "junk.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(VideoReadError, match="no numbered frames"):
        open_source(empty)


def test_sequence_with_a_frame_of_another_size_fails_on_that_frame(tmp_path):
    imageio.save_png(tmp_path / "f1.png", np.zeros((16, 16, 3), np.float32))
    imageio.save_png(tmp_path / "f2.png", np.zeros((16, 20, 3), np.float32))
    with pytest.raises(VideoReadError, match="f2.png"):
        list(open_source(tmp_path).frames())


def test_a_burst_is_its_photos_in_the_given_order_and_needs_two(tmp_path):
    frames = disc_frames(3, 48, 32)
    paths = []
    for i, (name, frame) in enumerate(zip(("IMG_b.jpg.png", "last.png", "IMG_a.png"), frames)):
        paths.append(tmp_path / name)
        imageio.save_png(paths[-1], frame)
    source = ImageSequenceSource.of_files(paths)  # unnumbered names: the order given (the filmstrip's)
    assert source.files == paths and source.path == tmp_path and source.info.frame_count == 3
    decoded = list(source.frames())
    assert all(np.abs(d - f).max() < 1 / 255 + 1e-6 for d, f in zip(decoded, frames))
    with pytest.raises(VideoReadError, match="at least two photos"):
        ImageSequenceSource.of_files(paths[:1])
    imageio.save_png(tmp_path / "big.png", disc_frames(1, 64, 48)[0])
    with pytest.raises(VideoReadError, match="big.png' is 64x48; the sequence's frames are 48x32"):
        list(ImageSequenceSource.of_files([paths[0], tmp_path / "big.png"]).frames())
