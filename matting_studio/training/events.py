"""What a training run reports, step by step (``Trainer.events()``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional


@dataclass
class TrainEvent:
    kind: str  # "preparing" (samples of the pool: step = made, total_steps = to make) | "resumed" | "step" |
    # "validation" | "checkpoint" | "done" | "stopped"
    step: int
    total_steps: int
    losses: dict = field(default_factory=dict)
    lr: float = 0.0
    images_per_s: float = 0.0
    eta_s: float = 0.0
    metrics: dict = field(default_factory=dict)
    path: Optional[Path] = None
