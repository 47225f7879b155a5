"""Reading weights and checkpoints, and loading them into the networks: paths, state dicts or training
checkpoints; ``module.`` prefixes (DistributedDataParallel) stripped; a report of matched / missing / unexpected
keys; clear errors on mismatch. Files are read by :mod:`~matting_studio.engine.checkpoint_io`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matting_studio.core.errors import WeightsError
from matting_studio.engine.checkpoint_io import read_checkpoint, strip_module_prefix


@dataclass
class LoadReport:
    matched: int
    missing: list[str]
    unexpected: list[str]


def resolve_config(configs: dict, name):
    if not isinstance(name, str):
        return name
    try:
        return configs[name]
    except KeyError:
        raise WeightsError(f"Unknown network size '{name}'; choose one of {', '.join(configs)}.") from None


def state_dict_of(weights) -> dict:
    """The model state dict inside ``weights`` (path, state dict, or checkpoint with a ``model`` entry)."""
    if isinstance(weights, (str, Path)):
        weights = read_checkpoint(Path(weights))
    if not isinstance(weights, dict):
        raise WeightsError("Weights must be a state dict or a checkpoint dict.")
    state = weights.get("model", weights) if isinstance(weights.get("model"), dict) else weights
    return {k: v for k, v in strip_module_prefix(state).items() if hasattr(v, "shape")}


def load_weights(model, weights, *, strict: bool = True) -> LoadReport:
    """Load ``weights`` into ``model``; raise :class:`WeightsError` on missing keys (if strict) or shapes."""
    state = state_dict_of(weights)
    own = model.state_dict()
    bad = [k for k, v in state.items() if k in own and tuple(own[k].shape) != tuple(v.shape)]
    if bad:
        raise WeightsError(f"The weights do not fit this network ({len(bad)} tensors of another shape, e.g. "
                           f"'{bad[0]}'); was it trained with another size?")
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if strict and (missing or unexpected):
        raise WeightsError(f"The weights do not fit this network: {len(missing)} missing and "
                           f"{len(unexpected)} unexpected tensors.")
    model.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    return LoadReport(matched=len(own) - len(missing), missing=missing, unexpected=unexpected)


def widen_inputs(weights, model) -> tuple[dict, list[str]]:
    """The state dict in ``weights`` with every conv weight that has fewer input channels than ``model``'s
    zero-padded at the end of its input dimension, and the names of those tensors.

    For fine-tuning a network that gained input channels appended last (e.g. a new matting-prior channel): the
    widened network computes exactly what the old one did until training gives the new inputs weight.
    """
    import torch

    state = dict(state_dict_of(weights))
    own = model.state_dict()
    widened = []
    for k, v in state.items():
        o = own.get(k)
        narrower = o is not None and v.ndim == o.ndim == 4 and v.shape[1] < o.shape[1] \
            and v.shape[0] == o.shape[0] and v.shape[2:] == o.shape[2:]
        if narrower:
            pad = torch.zeros(v.shape[0], o.shape[1] - v.shape[1], *v.shape[2:], dtype=v.dtype)
            state[k] = torch.cat([v, pad], dim=1)
            widened.append(k)
    return state, widened
