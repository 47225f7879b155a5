"""What a training run is: :class:`TrainConfig`, validated in one place for every entry point (CLI, GUI,
``torchrun``), and loadable from a recipe file (JSON) that those entry points share.

A recipe holds the hyper-parameters (``models/dlmng-lite.recipe.json`` is the shipped model's); the folders
(data, backgrounds, output) are given per run. :func:`load_recipe` reads one, :meth:`TrainConfig.from_dict`
builds a config from a recipe plus the run's own fields.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Optional, Sequence

from matting_studio.core.registry import DEVICES
from matting_studio.core.errors import ConfigError

MODELS = ("dlmng", "ssrn")
SIZES = ("lite", "paper")
# (flag, type, help) of the settings a recipe holds; each maps to the TrainConfig field of its name (see
# commands.TRAIN_FIELDS for the few whose names differ); the command line's ``train`` options.
TRAIN_SETTINGS = (
    ("--steps", int, "optimisation steps"),
    ("--size", str, "network size: lite or paper"),
    ("--batch-size", int, "samples per step"),
    ("--crop", int, "training crop side in px"),
    ("--lr", float, "peak learning rate (warm-up then cosine)"),
    ("--val-every", int, "steps between validations"),
    ("--checkpoint-every", int, "steps between checkpoints"),
    ("--synthetic", float, "fraction of procedural synthetic foregrounds"),
    ("--real", float, "fraction of DLMN-G samples that are the labelled photos on their own backgrounds"),
    ("--device", str, "auto, cpu, cuda or mps"),
    ("--seed", int, "seed of the samples and the initial weights"),
    ("--ema", float, "moving average of the weights with this decay (e.g. 0.995); validated and saved"),
    ("--mse-weight", float, "weight of the squared alpha error on the unknown region"),
)


_PATHS = ("data_dir", "out_dir", "unlabelled_dir", "teacher", "init_weights", "pool_dir")


@dataclass
class TrainConfig:
    model: str  # "dlmng" | "ssrn"
    data_dir: Optional[Path]
    backgrounds_dir: Sequence[Path] | Path
    out_dir: Path
    steps: int
    unlabelled_dir: Optional[Path] = None
    teacher: Optional[Path] = None
    size: str = "lite"
    batch_size: int = 4
    crop: int = 320
    lr: float = 1e-3
    val_every: int = 100
    checkpoint_every: int = 100
    resume: bool = False
    device: str = "auto"
    seed: int = 0
    val_stems: Optional[list[str]] = None  # held out of training and validated on; [] trains on every image
    val_fraction: float = 0.2  # without val_stems: the first fifth of the images is held out
    synthetic_fraction: float = 0.0
    real_fraction: float = 0.0  # DLMN-G samples that are the labelled photos on their own backgrounds
    keep_checkpoints: int = 3
    val_samples: int = 8
    guidance_mix: tuple[float, float, float] = (0.45, 0.55, 0.0)  # DLMN-G batches: auto / trimap / segmentation
    init_weights: Optional[Path] = None  # start from these weights (fine-tuning); ignored when resuming
    ema: float = 0.0  # decay of an exponential moving average of the weights (0: off); validated and saved
    mse_weight: float = 2.0  # weight of the squared alpha error on the unknown region (training/losses.py)
    augmentation: dict = field(default_factory=dict)  # overrides of training.augment.AugmentConfig
    pool_dir: Optional[Path] = None  # DLMN-G: draw samples from this precomputed pool (training.sample_pool)
    pool_per_stem: int = 60  # pool samples made per labelled image
    pool_synthetic: int = 400  # procedural samples in the pool

    def __post_init__(self) -> None:
        for name in _PATHS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                setattr(self, name, Path(value))
        if isinstance(self.backgrounds_dir, (list, tuple)):
            self.backgrounds_dir = [Path(p) for p in self.backgrounds_dir]
        elif self.backgrounds_dir is not None:
            self.backgrounds_dir = Path(self.backgrounds_dir)
        self.guidance_mix = tuple(float(v) for v in self.guidance_mix)
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` with one sentence naming the first bad field."""
        if self.model not in MODELS:
            raise ConfigError(f"Unknown model '{self.model}'; train {' or '.join(MODELS)}.")
        if self.size not in SIZES:
            raise ConfigError(f"Unknown network size '{self.size}'; choose {' or '.join(SIZES)}.")
        if self.device not in DEVICES:
            raise ConfigError(f"Unknown device '{self.device}'; choose one of {', '.join(DEVICES)}.")
        for name in ("steps", "batch_size", "val_every", "checkpoint_every", "keep_checkpoints", "val_samples"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(f"'{name}' must be a whole number of at least 1 (got {getattr(self, name)!r}).")
        for name in ("pool_per_stem", "pool_synthetic"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise ConfigError(f"'{name}' must be a whole number of at least 0 (got {getattr(self, name)!r}).")
        if not isinstance(self.crop, int) or self.crop < 32:
            raise ConfigError(f"'crop' must be at least 32 pixels (got {self.crop!r}).")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ConfigError(f"'lr' must be a positive number (got {self.lr!r}).")
        for name in ("val_fraction", "synthetic_fraction", "real_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"'{name}' is a fraction between 0 and 1 (got {getattr(self, name)!r}).")
        if not 0 <= self.ema < 1:
            raise ConfigError(f"'ema' is a decay in [0, 1) (got {self.ema!r}).")
        if self.mse_weight < 0:
            raise ConfigError(f"'mse_weight' must not be negative (got {self.mse_weight!r}).")
        if len(self.guidance_mix) != 3 or min(self.guidance_mix) < 0 or sum(self.guidance_mix) <= 0:
            raise ConfigError("'guidance_mix' is three non-negative weights (auto, trimap, segmentation).")
        from matting_studio.training.augment import AugmentConfig

        unknown = sorted(set(self.augmentation) - {f.name for f in fields(AugmentConfig)})
        if unknown:
            raise ConfigError(f"Unknown augmentation setting '{unknown[0]}'.")
        if self.model == "dlmng" and self.data_dir is None and self.synthetic_fraction <= 0:
            raise ConfigError("DLMN-G needs --data (image/ + alpha/) or a synthetic fraction above 0.")
        if self.model == "ssrn" and (self.teacher is None or self.unlabelled_dir is None):
            raise ConfigError("SSRN training needs --teacher (DLMN-G weights) and --unlabelled (photos).")

    def augment_config(self):
        from matting_studio.training.augment import AugmentConfig

        return AugmentConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in self.augmentation.items()})

    def to_dict(self) -> dict:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, Path):
                d[k] = str(v)
            elif isinstance(v, (list, tuple)) and v and isinstance(v[0], Path):
                d[k] = [str(p) for p in v]
        return d

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainConfig":
        """A config from a recipe's and a run's fields; unknown names are a :class:`ConfigError`."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"Unknown training setting '{unknown[0]}'.")
        missing = [n for n in ("model", "data_dir", "backgrounds_dir", "out_dir", "steps") if n not in values]
        if missing:
            raise ConfigError(f"The training settings lack '{missing[0]}'.")
        try:
            return cls(**values)
        except TypeError as exc:
            raise ConfigError(f"Bad training settings: {exc}.") from None


def load_recipe(path: Path) -> dict[str, Any]:
    """The settings in a recipe file (a JSON object; keys starting with ``_`` are comments)."""
    path = Path(path)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Recipe file '{path}' does not exist.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"'{path}' is not a readable JSON recipe ({type(exc).__name__}).") from None
    if not isinstance(values, dict):
        raise ConfigError(f"'{path}' must hold a JSON object of training settings.")
    return {k: v for k, v in values.items() if not k.startswith("_")}
