"""The hostile-input corpus and the failure cases of the issue through ``matting-studio cutout`` / ``train``: each
either works (an RGBA cut-out of the image's size) or fails with exit status 2, one line on stderr, no traceback,
and nothing written."""

from __future__ import annotations

import errno

import numpy as np
import pytest

from matting_studio import cli
from matting_studio.core import atomic, imageio

FAST = ["--segmenter", "object", "--method", "knn", "--fast"]


def cutout(capsys, *args):
    code = cli.main(["cutout", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean_failure(code, err, outputs=()):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("matting-studio: ") and "Traceback" not in err
    assert "internal error" not in err
    for out in outputs:
        assert not out.exists()


def no_temps(folder):
    return not [p for p in folder.rglob("*") if atomic.TEMP_NAME.match(p.name)]


def test_every_corpus_file_is_cut_out_or_refused_in_one_line(hostile_corpus, tmp_path, capsys, monkeypatch):
    from matting_studio.engine import pipeline

    # pymatting's foreground estimation is most of each run's time and none of what is tested here
    monkeypatch.setattr(pipeline.classical, "estimate_foreground", lambda image, alpha, **kw: image)
    outcomes = {}
    for name, case in hostile_corpus.items():
        out = tmp_path / "out" / f"{name}.png"
        code, _, err = cutout(capsys, case.path, "-o", out, *FAST)
        if case.loads and code == 0:
            cut = imageio.load_image(out)
            assert cut.rgb.shape[:2] == case.shape and cut.alpha is not None, name
            outcomes[name] = "cut out"
        else:
            assert_clean_failure(code, err, [out])
            outcomes[name] = err.strip()
    refused = {name for name, case in hostile_corpus.items() if not case.loads}
    assert refused <= {name for name, outcome in outcomes.items() if outcome != "cut out"}
    assert outcomes["unicode_and_spaces"] == outcomes["exif_orientation_6"] == outcomes["rgb16_tiff"] == "cut out"
    assert no_temps(tmp_path)


@pytest.fixture
def photo(tmp_path, synthetic_composite):
    path = tmp_path / "photo.png"
    imageio.save_png(path, synthetic_composite["image"])
    return path


def test_bad_trimaps_are_one_line_errors(photo, tmp_path, capsys):
    all_grey = tmp_path / "grey.png"
    imageio.save_png(all_grey, np.full((64, 80), 0.5, np.float32))
    text = tmp_path / "trimap.png"
    text.write_text("not a trimap")
    for trimap in (all_grey, text):
        code, _, err = cutout(capsys, photo, "--trimap", trimap, "--method", "knn", "-o", tmp_path / "c.png")
        assert_clean_failure(code, err, [tmp_path / "c.png"])


def test_an_output_folder_that_cannot_be_written(photo, tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    code, _, err = cutout(capsys, photo, "-o", blocker / "sub" / "c.png", *FAST)
    assert_clean_failure(code, err)

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.os, "open", denied)  # (the tests run as root, which ignores chmod)
    code, _, err = cutout(capsys, photo, "-o", tmp_path / "c.png", *FAST)
    assert_clean_failure(code, err, [tmp_path / "c.png"])
    assert "Permission denied" in err


def test_a_full_disk_writes_nothing_and_leaves_no_temp_file(photo, tmp_path, capsys, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    code, _, err = cutout(capsys, photo, "-o", tmp_path / "c.png", *FAST)
    assert_clean_failure(code, err, [tmp_path / "c.png"])
    assert "No space left on device" in err and no_temps(tmp_path)


def test_a_corrupt_model_file(photo, tmp_path, capsys, synthetic_composite):
    weights = tmp_path / "model.pt"
    weights.write_bytes(b"PK\x03\x04 not really a torch file")
    trimap = tmp_path / "trimap.png"
    imageio.save_png(trimap, synthetic_composite["trimap"])
    code, _, err = cutout(capsys, photo, "--trimap", trimap, "--method", "dlmng", "--weights", weights,
                          "-o", tmp_path / "c.png")
    assert_clean_failure(code, err, [tmp_path / "c.png"])
    assert "model.pt" in err


def test_a_corrupt_checkpoint_on_resume(tmp_path, capsys, synthetic_composite):
    data = tmp_path / "data"
    for name, arr in (("image", synthetic_composite["image"]), ("alpha", synthetic_composite["alpha"])):
        imageio.save_png(data / name / "a.png", arr)
        imageio.save_png(data / name / "b.png", arr[::-1].copy())
    run = tmp_path / "run"
    run.mkdir()
    (run / "last.pt").write_bytes(b"\x80\x02truncated")
    code = cli.main(["train", "dlmng", "--data", str(data), "--backgrounds", str(data / "image"), "--steps", "2",
                     "--out", str(run), "--resume", "--crop", "32", "--batch-size", "1", "--device", "cpu"])
    _, err = capsys.readouterr()
    assert_clean_failure(code, err)
    assert "can be read" in err and (run / "last.pt").read_bytes() == b"\x80\x02truncated"
