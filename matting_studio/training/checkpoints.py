"""Training checkpoints: written atomically (fsynced temp file + rename), last K kept, exact resume.

A run killed at any moment leaves ``last.pt`` and ``step_*.pt`` files that are each complete or absent
(a power loss may still truncate one whose data had not reached the disk). Resuming takes the newest one that
reads back whole (:func:`latest_complete`); the killed writer's temporary file is removed by the next run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from matting_studio.core.atomic import atomic_write, remove_stale_temps
from matting_studio.core.errors import WeightsError
from matting_studio.engine.checkpoint_io import read_checkpoint as load_checkpoint, strip_module_prefix

VERSION = 1
LAST = "last.pt"
STEP_GLOB = "step_*.pt"
RESUME_KEYS = ("model", "optimizer", "scheduler", "step", "rng")  # what a checkpoint needs to resume from


@dataclass(frozen=True)
class ResumePoint:
    """The checkpoint a run resumes from: its file, its contents and the step it was written at."""

    path: Path
    checkpoint: dict
    step: int

    def describe(self) -> str:
        return f"Resuming from {self.path.name} (step {self.step})."


def rng_state() -> dict:
    import torch

    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}


def restore_rng(state: dict) -> None:
    import torch

    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])


def save_checkpoint(path: Path, payload: dict) -> Path:
    """Atomically write ``payload`` (state dicts get their ``module.`` prefixes removed)."""
    import torch

    payload = dict(payload, version=VERSION)
    for key in ("model", "discriminator"):
        if key in payload and payload[key] is not None:
            payload[key] = strip_module_prefix(payload[key])
    path = Path(path)
    remove_stale_temps(path.parent)  # a killed run's partial checkpoints
    return atomic_write(path, lambda handle: torch.save(payload, handle))


def _resumable(path: Path) -> Optional[ResumePoint]:
    """The checkpoint at ``path`` if it reads back whole and holds everything a resume needs, else None."""
    try:
        checkpoint = load_checkpoint(path)
    except WeightsError:
        return None
    if not isinstance(checkpoint, dict) or any(key not in checkpoint for key in RESUME_KEYS):
        return None
    return ResumePoint(path, checkpoint, int(checkpoint["step"]))


def _step_of_name(path: Path) -> int:
    try:
        return int(path.stem[len("step_"):])
    except ValueError:
        return -1


def has_checkpoints(out_dir: Path) -> bool:
    """True when ``out_dir`` holds ``last.pt`` or any ``step_*.pt`` (readable or not)."""
    out_dir = Path(out_dir)
    return (out_dir / LAST).exists() or any(out_dir.glob(STEP_GLOB))


def latest_complete(out_dir: Path) -> Optional[ResumePoint]:
    """The newest complete checkpoint among ``last.pt`` and ``step_*.pt`` in ``out_dir``, or None if there are none.

    Newest is the highest step; ``last.pt`` wins a tie. Files that are truncated, unreadable or lack the resume
    state are passed over. Raises :class:`WeightsError` when checkpoints exist but none can be read (a silent
    restart would overwrite them). Temporary files left by a killed writer are removed first.
    """
    out_dir = Path(out_dir)
    remove_stale_temps(out_dir)
    last = _resumable(out_dir / LAST) if (out_dir / LAST).is_file() else None
    for path in sorted(out_dir.glob(STEP_GLOB), key=_step_of_name, reverse=True):
        if last is not None and _step_of_name(path) <= last.step:
            break
        found = _resumable(path)
        if found is not None:
            return found
    if last is None and has_checkpoints(out_dir):
        raise WeightsError(f"No checkpoint in '{out_dir}' can be read; remove them or choose another output folder.")
    return last


def prune(out_dir: Path, keep: int) -> None:
    """Keep only the newest ``keep`` ``step_*.pt`` files."""
    steps = sorted(Path(out_dir).glob(STEP_GLOB))
    for old in steps[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
