"""The dataset layout, written once: ``ROOT/image/NAME.ext`` pairs with ``ROOT/alpha/NAME.*``, ``ROOT/fg/NAME.*``
and ``ROOT/<trimap folder>/NAME.*`` (``trimap`` = the benchmark's Trimap1, ``trimap2`` = Trimap2), by stem.
Used by training (:func:`matting_studio.training.datasets.pair_foregrounds`), ``evaluate`` and the app (an image
opened from an ``image/`` folder brings its ground truth and trimap)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from matting_studio.core import imageio
from matting_studio.core.errors import DatasetError

IMAGE, ALPHA, FOREGROUND, TRIMAP = "image", "alpha", "fg", "trimap"


def files_by_stem(folder: Path) -> dict[str, Path]:
    """The images of ``folder`` by stem (empty when the folder does not exist)."""
    return {p.stem: p for p in imageio.list_images(folder)} if Path(folder).is_dir() else {}


def pairs(root: Path, required: Sequence[str], optional: Sequence[str] = (),
          stems: Optional[Sequence[str]] = None) -> list[dict[str, Path]]:
    """One dict per image of ``root/image`` that has a file in every ``required`` folder: ``{"stem": ...,
    "image": path, folder: path, ...}``, with ``optional`` folders' files where present (else None), sorted by
    stem. :class:`DatasetError` when a required folder is missing."""
    root = Path(root)
    folders = (IMAGE, *required)
    missing = [f for f in folders if not (root / f).is_dir()]
    if missing:
        raise DatasetError(f"'{root}' has no {', '.join(m + '/' for m in missing)} folder (needs "
                           f"{', '.join(f + '/' for f in folders)}).")
    found = {f: files_by_stem(root / f) for f in (*folders, *optional)}
    wanted = set(stems) if stems is not None else None
    out = []
    for stem in sorted(found[IMAGE]):
        if (wanted is None or stem in wanted) and all(stem in found[f] for f in required):
            out.append({"stem": stem, **{f: found[f].get(stem) for f in (*folders, *optional)}})
    return out


def siblings(image_path: Path, folders: Sequence[str] = (ALPHA, TRIMAP)) -> dict[str, Path]:
    """For an image inside an ``image/`` folder, its files in the sibling ``folders`` (``NAME.png``) that exist."""
    image_path = Path(image_path)
    if image_path.parent.name != IMAGE:
        return {}
    root = image_path.parent.parent
    return {f: root / f / f"{image_path.stem}.png" for f in folders if (root / f / f"{image_path.stem}.png").is_file()}
