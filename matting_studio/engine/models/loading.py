"""Loading weights into the networks: paths, state dicts or training checkpoints; ``module.`` prefixes
stripped; a report of matched / missing / unexpected keys; clear errors on mismatch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matting_studio.core.errors import WeightsError


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
    import torch

    if isinstance(weights, (str, Path)):
        path = Path(weights)
        if not path.is_file():
            raise WeightsError(f"Weights file '{path}' does not exist.")
        try:
            weights = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as exc:
            raise WeightsError(f"'{path}' is not a readable weights file ({type(exc).__name__}).") from None
    if not isinstance(weights, dict):
        raise WeightsError("Weights must be a state dict or a checkpoint dict.")
    state = weights.get("model", weights) if isinstance(weights.get("model"), dict) else weights
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()
            if hasattr(v, "shape")}


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
