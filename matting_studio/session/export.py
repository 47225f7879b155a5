"""What an export writes (never overwriting silently), and batch export of many images."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from matting_studio.core import compositing, imageio
from matting_studio.core.memory import release_freed_memory
from matting_studio.core.progress import CancelToken, check_cancel, report

KINDS = ("cutout", "alpha", "foreground", "premultiplied", "composite")


def export_array(kind: str, image, alpha, fg, composite: Optional[np.ndarray] = None) -> np.ndarray:
    """The array written for ``kind`` (see :data:`KINDS`)."""
    if kind == "cutout":
        return compositing.cutout_rgba(fg, alpha)
    if kind == "alpha":
        return alpha
    if kind == "foreground":
        return fg
    if kind == "premultiplied":
        return compositing.premultiplied_rgba(fg, alpha)
    if kind == "composite":
        return composite if composite is not None else compositing.composite(fg, alpha, (1.0, 1.0, 1.0))
    raise ValueError(kind)


def free_name(path: Path) -> Path:
    """``path`` itself if free, else ``name-1.png``, ``name-2.png``, … (never an existing file)."""
    path = Path(path)
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


@dataclass(frozen=True)
class BatchExportOptions:
    """Which :data:`KINDS` to write per image, at ``bits`` (8 or 16) per channel."""

    kinds: tuple[str, ...] = ("cutout",)
    bits: int = 8

    def __post_init__(self) -> None:
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown or self.bits not in (8, 16):
            raise imageio.ImageWriteError(f"Batch export writes {', '.join(KINDS)} at 8 or 16 bits, "
                                          f"not {', '.join(unknown) or self.bits}.")


def batch_export(paths: list[Path], out_dir: Path, run: Callable, options: BatchExportOptions = BatchExportOptions(),
                 *, progress=None, cancel: Optional[CancelToken] = None) -> list[Path]:
    """Run ``run(image, cancel=) -> (alpha, fg)`` on every image and write ``options.kinds`` into ``out_dir``;
    existing files are kept (new names are chosen). Returns the written paths; unreadable images are
    reported in the last progress message, not fatal."""
    written, failures = [], []
    for i, path in enumerate(paths):
        check_cancel(cancel)
        report(progress, i / max(1, len(paths)), f"{Path(path).name} ({i + 1}/{len(paths)})")
        try:
            image = imageio.load_image(path).rgb
            alpha, fg = run(image, cancel=cancel)
            for kind in options.kinds:
                target = free_name(Path(out_dir) / f"{Path(path).stem}_{kind}.png")
                written.append(imageio.save_png(target, export_array(kind, image, alpha, fg), bits=options.bits,
                                                inputs=[path]))
        except imageio.ImageReadError as exc:
            failures.append(str(exc))
        release_freed_memory()
    report(progress, 1.0, f"{len(written)} file(s) written" + (f", {len(failures)} failed" if failures else ""))
    return written
