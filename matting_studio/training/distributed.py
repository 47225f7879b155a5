"""Distributed entry point: ``torchrun --nproc_per_node=N -m matting_studio.training.distributed CONFIG.json``.

Every process runs the same :class:`~matting_studio.training.trainer.Trainer`; it detects ``WORLD_SIZE`` and
uses DistributedDataParallel (gloo on CPU, nccl on GPU). Rank 0 writes checkpoints and curves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from matting_studio.training.trainer import TrainConfig, run_training


def config_from_json(path: Path) -> TrainConfig:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for key in ("data_dir", "out_dir", "unlabelled_dir", "teacher"):
        if data.get(key):
            data[key] = Path(data[key])
    bgs = data["backgrounds_dir"]
    data["backgrounds_dir"] = [Path(p) for p in bgs] if isinstance(bgs, list) else Path(bgs)
    return TrainConfig(**data)


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
