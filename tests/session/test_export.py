"""Batch export of many images (headless), with its options as a dataclass."""

from __future__ import annotations

import pytest

from matting_studio.core import imageio
from matting_studio.core.errors import Cancelled, ImageWriteError
from matting_studio.core.progress import CancelToken
from matting_studio.session import BatchExportOptions, batch_export


def test_batch_export_writes_the_chosen_kinds_and_keeps_existing_files(tmp_path, synthetic_composite):
    s = synthetic_composite
    folder, out = tmp_path / "in", tmp_path / "out"
    imageio.save_png(folder / "a.png", s["image"])
    (folder / "bad.png").write_bytes(b"not a png")
    out.mkdir()
    (out / "a_alpha.png").write_bytes(b"keep")
    messages = []
    written = batch_export(imageio.list_images(folder), out, lambda image, cancel=None: (s["alpha"], s["fg"]),
                           BatchExportOptions(kinds=("alpha", "cutout"), bits=16),
                           progress=lambda f, m: messages.append(m))
    assert sorted(p.name for p in written) == ["a_alpha-1.png", "a_cutout.png"]
    assert (out / "a_alpha.png").read_bytes() == b"keep"
    assert imageio.load_image(out / "a_cutout.png").bit_depth == 16
    assert "1 failed" in messages[-1]


def test_bad_options_and_cancel(tmp_path):
    with pytest.raises(ImageWriteError):
        BatchExportOptions(kinds=("thumbnail",))
    with pytest.raises(ImageWriteError):
        BatchExportOptions(bits=12)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        batch_export([tmp_path / "x.png"], tmp_path, lambda image, cancel=None: None, cancel=token)
