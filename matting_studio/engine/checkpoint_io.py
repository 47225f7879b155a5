"""The one place weights and checkpoint files are read (torch is imported only when one is)."""

from __future__ import annotations

from pathlib import Path

from matting_studio.core.errors import WeightsError


def read_checkpoint(path: Path) -> dict:
    """Load a weights / checkpoint file onto the CPU as a dict; clear :class:`WeightsError` if unreadable."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"Weights file '{path}' does not exist.")
    try:
        data = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # corrupt / truncated / not a torch file
        raise WeightsError(f"'{path}' is not a readable weights file ({type(exc).__name__}).") from None
    if not isinstance(data, dict):
        raise WeightsError(f"'{path}' does not hold a state dict or a training checkpoint.")
    return data


def strip_module_prefix(state: dict) -> dict:
    """``state`` with DistributedDataParallel's ``module.`` key prefixes removed."""
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
