"""The dataset layout: image/ pairs with alpha/, fg/ and trimap folders by stem."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core import dataset_layout as layout
from matting_studio.core import imageio
from matting_studio.core.errors import DatasetError


def _write(path):
    imageio.save_png(path, np.zeros((4, 4), np.float32))


def test_pairs_by_stem_with_required_and_optional_folders(tmp_path):
    for stem in ("b", "a", "c"):
        _write(tmp_path / "image" / f"{stem}.png")
    for stem in ("a", "b"):
        _write(tmp_path / "alpha" / f"{stem}.png")
    _write(tmp_path / "fg" / "b.png")
    found = layout.pairs(tmp_path, [layout.ALPHA], [layout.FOREGROUND])
    assert [p["stem"] for p in found] == ["a", "b"]  # c has no alpha; sorted
    assert found[0][layout.FOREGROUND] is None and found[1][layout.FOREGROUND] == tmp_path / "fg" / "b.png"
    assert [p["stem"] for p in layout.pairs(tmp_path, [layout.ALPHA], stems=["b"])] == ["b"]
    with pytest.raises(DatasetError, match="trimap/"):
        layout.pairs(tmp_path, [layout.TRIMAP])


def test_an_image_in_an_image_folder_brings_its_siblings(tmp_path):
    image = tmp_path / "image" / "x.jpg"
    _write(image.with_suffix(".png"))
    image.write_bytes(b"")
    _write(tmp_path / "alpha" / "x.png")
    assert layout.siblings(image) == {layout.ALPHA: tmp_path / "alpha" / "x.png"}
    assert layout.siblings(tmp_path / "alpha" / "x.png") == {}  # not in an image/ folder
