"""``matting-studio cutout`` on a clip end to end, with the real pipeline."""

from __future__ import annotations

import numpy as np
from video_clips import decode, disc_frames, write_clip

from matting_studio import cli
from matting_studio.core import imageio


def test_cutout_of_a_clip_onto_a_background_image(tmp_path, capsys):
    clip = write_clip(tmp_path / "clip.mp4", disc_frames(5, 96, 64, noise=0.01))
    beach = tmp_path / "beach.png"
    imageio.save_png(beach, np.tile(np.array([0.2, 0.4, 0.9], np.float32), (30, 40, 1)))
    out = tmp_path / "out.mp4"
    code = cli.main(["cutout", str(clip), "-o", str(out), "--background", str(beach),
                     "--segmenter", "object", "--method", "ssrn", "--device", "cpu"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert "5 frames" in stdout
    frames, rate = decode(out)
    assert len(frames) == 5 and rate == 24
    corner = frames[2][:6, :6].reshape(-1, 3).mean(axis=0) / 255  # the texture was replaced by the beach colour
    np.testing.assert_allclose(corner, [0.2, 0.4, 0.9], atol=0.08)


def test_sequence_to_png_frames_and_one_line_errors(tmp_path, capsys):
    burst = tmp_path / "burst"
    for i, frame in enumerate(disc_frames(4, 64, 48, step=1.0)):
        imageio.save_png(burst / f"IMG_{i + 1:04d}.png", frame)
    code = cli.main(["cutout", str(burst), "-o", str(tmp_path / "seq.webm"), "--segmenter", "object",
                     "--method", "cf", "--fast", "--fps", "10"])
    err = capsys.readouterr().err
    assert code == 0, err
    frames, rate = decode(tmp_path / "seq.webm", alpha=True)
    assert len(frames) == 4 and rate == 10 and frames[0].shape == (48, 64, 4)
    code = cli.main(["cutout", str(tmp_path / "seq.webm"), "-o", str(tmp_path / "x.mp4"), "--background", "nope"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "not a colour" in err
