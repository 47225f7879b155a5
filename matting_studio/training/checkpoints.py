"""Training checkpoints: written atomically (temp file + rename), last K kept, exact resume."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import numpy as np

from matting_studio.core.errors import WeightsError

VERSION = 1


def _strip(state: dict) -> dict:
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


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
            payload[key] = _strip(payload[key])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: Path) -> dict:
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise WeightsError(f"Cannot read the checkpoint '{path}' ({type(exc).__name__}).") from None


def prune(out_dir: Path, keep: int) -> None:
    """Keep only the newest ``keep`` ``step_*.pt`` files."""
    steps = sorted(Path(out_dir).glob("step_*.pt"))
    for old in steps[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
