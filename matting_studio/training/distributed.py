"""Distributed entry point: ``torchrun --nproc_per_node=N -m matting_studio.training.distributed CONFIG.json``.

Every process runs the same :class:`~matting_studio.training.trainer.Trainer`; it detects ``WORLD_SIZE`` and
uses DistributedDataParallel (gloo on CPU, nccl on GPU). Rank 0 writes checkpoints and curves.
"""

from __future__ import annotations

import sys
from pathlib import Path

from matting_studio.training.config import TrainConfig, load_recipe
from matting_studio.training.trainer import run_training


def config_from_json(path: Path) -> TrainConfig:
    """A JSON of :class:`TrainConfig`'s fields: a recipe plus the run's folders (the same checks as the CLI)."""
    return TrainConfig.from_dict(load_recipe(path))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: torchrun --nproc_per_node=N -m matting_studio.training.distributed CONFIG.json", file=sys.stderr)
        return 2
    run_training(config_from_json(Path(args[0])))
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
