"""The convert job: PNG sequences and videos with backgrounds, refusals before work, cancel and exact resume."""

from __future__ import annotations

import os

import numpy as np
import pytest
from video_clips import decode, disc_frames, write_clip

from matting_studio.core import imageio
from matting_studio.core.errors import Cancelled, OutputExistsError
from matting_studio.core.progress import CancelToken
from matting_studio.video import convert as convert_module
from matting_studio.video.backgrounds import parse_background
from matting_studio.video.convert import FrameStore, convert, work_folder
from matting_studio.video.errors import VideoWriteError


@pytest.fixture
def clip(tmp_path):
    return write_clip(tmp_path / "clip.mp4", disc_frames(8, noise=0.01), audio=True)


def test_png_sequence_holds_one_rgba_cutout_per_frame(clip, tmp_path, fake_pipeline):
    result = convert(clip, tmp_path / "frames", pipeline=fake_pipeline)
    assert result.frames == 8 and result.resumed_from == 0
    pngs = sorted((tmp_path / "frames").glob("frame_*.png"))
    assert len(pngs) == 8
    loaded = imageio.load_image(pngs[3])
    assert loaded.rgb.shape == (64, 96, 3) and loaded.alpha is not None
    assert loaded.alpha.max() == 1.0 and loaded.alpha.min() == 0.0  # the disc is in, the texture out
    with pytest.raises(OutputExistsError, match="already holds"):
        convert(clip, tmp_path / "frames", pipeline=fake_pipeline)


def test_video_with_a_colour_background_keeps_rate_frames_and_audio(clip, tmp_path, fake_pipeline):
    import av

    out = tmp_path / "green.mp4"
    convert(clip, out, pipeline=fake_pipeline, background=parse_background("#00ff00"))
    frames, rate = decode(out)
    assert len(frames) == 8 and frames[0].shape == (64, 96, 3) and rate == 24
    corner = frames[4][:8, :8].reshape(-1, 3).mean(axis=0)  # texture → background
    assert corner[1] > 200 and corner[0] < 60
    with av.open(str(out)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
    assert not work_folder(out).exists()  # the work folder is removed once the video is published


def test_transparent_webm_and_blurred_background(clip, tmp_path, fake_pipeline):
    convert(clip, tmp_path / "cut.webm", pipeline=fake_pipeline)
    rgba, _ = decode(tmp_path / "cut.webm", alpha=True)
    assert len(rgba) == 8 and rgba[2][..., 3].min() < 10 and rgba[2][..., 3].max() > 245
    convert(clip, tmp_path / "blur.mkv", pipeline=fake_pipeline, background=parse_background("blur"))
    assert len(decode(tmp_path / "blur.mkv")[0]) == 8


def test_refusals_come_before_any_work(clip, tmp_path, fake_pipeline):
    with pytest.raises(VideoWriteError, match="cannot be transparent"):
        convert(clip, tmp_path / "cut.mp4", pipeline=fake_pipeline)
    existing = tmp_path / "taken.mp4"
    existing.write_bytes(b"mine")
    with pytest.raises(OutputExistsError):
        convert(clip, existing, pipeline=fake_pipeline, background=parse_background("white"))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "holiday.jpg").write_bytes(b"x")
    with pytest.raises(OutputExistsError, match="not empty"):
        convert(clip, busy, pipeline=fake_pipeline)
    with pytest.raises(OutputExistsError, match="is the input"):
        convert(clip, clip, pipeline=fake_pipeline, background=parse_background("white"))
    assert fake_pipeline.motions == [] and existing.read_bytes() == b"mine"


def test_cancel_then_resume_gives_the_uninterrupted_result(tmp_path, fake_pipeline, monkeypatch):
    clip = write_clip(tmp_path / "long.mp4", disc_frames(12, step=1.0, noise=0.02))
    whole = convert(clip, tmp_path / "whole", pipeline=fake_pipeline)
    monkeypatch.setattr(convert_module, "CHECKPOINT_EVERY", 4)
    token = CancelToken()
    seen = []

    def progress(fraction, message):
        seen.append(message)
        if message.startswith("Matting frame 7 "):
            token.cancel()

    with pytest.raises(Cancelled):
        convert(clip, tmp_path / "part", pipeline=fake_pipeline, progress=progress, cancel=token)
    store = FrameStore(tmp_path / "part")
    assert store.load_state()[0] == 6 and len(list((tmp_path / "part").glob("frame_*.png"))) == 7
    resumed = convert(clip, tmp_path / "part", pipeline=fake_pipeline)
    assert resumed.resumed_from == 7 and resumed.frames == whole.frames == 12
    for i in range(12):
        np.testing.assert_array_equal(store.read(i), FrameStore(tmp_path / "whole").read(i))


def test_a_changed_job_starts_again(tmp_path, fake_pipeline):
    from matting_studio.video.clip import VideoOptions

    clip = write_clip(tmp_path / "c.mp4", disc_frames(5))
    out = tmp_path / "v.webm"
    token = CancelToken()
    with pytest.raises(Cancelled):
        convert(clip, out, pipeline=fake_pipeline, cancel=token,
                progress=lambda f, m: token.cancel() if m.startswith("Matting frame 2 ") else None)
    result = convert(clip, out, pipeline=fake_pipeline, options=VideoOptions(smoothing=0.3))
    assert result.resumed_from == 0 and len(decode(out)[0]) == 5


def test_the_frame_writer_has_every_frame_on_disk_after_a_flush_and_reports_a_failed_write(tmp_path):
    from matting_studio.core.errors import ImageWriteError
    from matting_studio.video.convert import FrameWriter

    store = FrameStore(tmp_path)
    fg, alpha = np.full((6, 8, 3), 0.5, np.float32), np.linspace(0, 1, 48, dtype=np.float32).reshape(6, 8)
    with FrameWriter(store) as writer:
        for i in range(5):
            writer.write(i, fg, alpha)
            assert len(writer._pending) <= FrameWriter.MAX_PENDING
        writer.flush()
        assert sorted(p.name for p in tmp_path.glob("frame_*.png")) == [f"frame_{i:06d}.png" for i in range(5)]
    np.testing.assert_array_equal(store.read(4)[..., 3], np.round(alpha * 255).astype(np.uint8))

    class Failing(FrameStore):
        def write(self, index, rgba):
            raise ImageWriteError(f"Frame {index + 1} could not be encoded as PNG.")

    with pytest.raises(ImageWriteError, match="Frame 1"):
        with FrameWriter(Failing(tmp_path / "x")) as writer:
            writer.write(0, fg, alpha)
            writer.flush()


def test_a_burst_converts_and_another_selection_of_the_same_folder_never_resumes_it(tmp_path, fake_pipeline):
    from matting_studio.video.sources import ImageSequenceSource

    frames = disc_frames(6, 96, 64)
    photos = []
    for i, frame in enumerate(frames):
        photos.append(tmp_path / f"IMG_{i}.png")
        imageio.save_png(photos[-1], frame)
    for photo in photos:
        os.utime(photo, ns=(1_700_000_000_000_000_000,) * 2)  # shot in the same second: only the names differ
    out = tmp_path / "burst.webm"
    token = CancelToken()
    first = ImageSequenceSource.of_files(photos[:3])
    with pytest.raises(Cancelled):
        convert(first, out, pipeline=fake_pipeline, cancel=token,
                progress=lambda f, m: token.cancel() if m.startswith("Matting frame 2 ") else None)
    other = ImageSequenceSource.of_files(photos[3:])  # as many photos, same folder, same size
    result = convert(other, out, pipeline=fake_pipeline)
    assert result.resumed_from == 0 and result.frames == 3  # started afresh: not the first burst's frames
    decoded = decode(out)[0]
    assert len(decoded) == 3
