"""Compute device choice: ``auto | cpu | cuda | mps``. Nothing here runs at import time."""

from __future__ import annotations

from matting_studio.core.errors import DeviceError
from matting_studio.core.registry import DEVICES as DEVICE_NAMES


def _mps_available(torch) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def choose_device(name: str = "auto"):
    """The ``torch.device`` to use. ``auto`` prefers CUDA, then Apple MPS, else the CPU.

    Asking explicitly for an absent accelerator raises :class:`DeviceError`.
    """
    import torch

    name = (name or "auto").lower()
    if name not in DEVICE_NAMES and not name.startswith("cuda:"):
        raise DeviceError(f"Unknown device '{name}'; choose one of {', '.join(DEVICE_NAMES)}.")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available(torch):
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError("CUDA was requested but no CUDA GPU is available; use --device cpu or auto.")
    if name == "mps" and not _mps_available(torch):
        raise DeviceError("Apple MPS was requested but is not available here; use --device cpu or auto.")
    return torch.device(name)


def describe_device(device) -> str:
    """Human-readable name, e.g. ``"CPU (2 threads)"`` or ``"CUDA: NVIDIA A100"``."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"
