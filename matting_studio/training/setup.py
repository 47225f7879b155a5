"""What a training run is made of, built once from its :class:`TrainConfig`: :func:`setup_dlmng` and
:func:`setup_ssrn` return a :class:`RunSetup` (networks, data, optimisers, schedule, moving average), ready to
resume from a checkpoint. Under ``torchrun`` (``WORLD_SIZE`` > 1) the networks are wrapped in
DistributedDataParallel, which broadcasts rank 0's initial weights.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from matting_studio.core.errors import DatasetError
from matting_studio.engine.models.loading import load_weights, widen_inputs
from matting_studio.training import checkpoints
from matting_studio.training.config import TrainConfig
from matting_studio.training.datasets import CompositionDataset, UnlabelledPhotos, pair_foregrounds


def world() -> tuple[int, int]:
    """``(rank, world size)`` of this process (``(0, 1)`` outside ``torchrun``)."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def bare(module):
    """The network inside a DistributedDataParallel wrapper (or the network itself)."""
    return module.module if hasattr(module, "module") else module


@dataclass
class RunSetup:
    """A run's parts. ``train_data`` is None while a sample pool is still to be made (the trainer fills it);
    ``labelled_data`` (SSRN only) gives the supervised half of the steps; ``teacher`` is SSRN's frozen DLMN-G."""

    device: Any
    model: Any
    optimizer: Any
    scheduler: Any
    train_stems: list
    train_data: Any
    val_data: Optional[CompositionDataset]
    ema: Any = None
    discriminator: Any = None
    opt_d: Any = None
    teacher: Any = None
    labelled_data: Optional[CompositionDataset] = None
    start_step: int = 0
    resumed_from: Optional[checkpoints.ResumePoint] = None

    def weights_model(self):
        """The network that is validated and saved as best / final weights: the moving average when on."""
        return self.ema.module if self.ema is not None else bare(self.model)

    def uses_prior(self) -> bool:
        net = self.model if self.teacher is None else self.teacher
        return bool(getattr(bare(net).config, "colour_prior", False))

    def state(self, step: int, config: TrainConfig) -> dict:
        """Everything a resumed run needs (see :data:`checkpoints.RESUME_KEYS`)."""
        return {
            "model": bare(self.model).state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(), "step": step, "config": config.to_dict(),
            "size": config.size, "kind": config.model, "rng": checkpoints.rng_state(),
            "discriminator": bare(self.discriminator).state_dict() if self.discriminator is not None else None,
            "opt_d": self.opt_d.state_dict() if self.opt_d is not None else None,
            "ema": self.ema.state_dict() if self.ema is not None else None,
        }

    def weights(self, step: int, config: TrainConfig, **extra) -> dict:
        """The shippable weights (moving average when on), no optimiser state."""
        return {"model": self.weights_model().state_dict(), "size": config.size, "kind": config.model,
                "config": config.to_dict(), "step": step, **extra}


def _device(config: TrainConfig, world_size: int):
    import torch

    from matting_studio.engine.device import choose_device

    if world_size == 1:
        return choose_device(config.device)
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if torch.cuda.is_available() \
        else torch.device("cpu")


def _init_weights(config: TrainConfig):
    """The ``init_weights`` checkpoint to start from, or None (fresh weights, or resuming)."""
    if config.init_weights is None or (config.resume and checkpoints.has_checkpoints(Path(config.out_dir))):
        return None
    from matting_studio.engine.checkpoint_io import read_checkpoint

    return read_checkpoint(Path(config.init_weights))


def split_stems(config: TrainConfig) -> tuple[list, list]:
    """``(train, validation)`` stems of ``data_dir``: ``val_stems`` when given, else the first ``val_fraction``
    (DLMN-G) or none (SSRN)."""
    stems = [s for s, *_ in pair_foregrounds(config.data_dir)] if config.data_dir else []
    if config.val_stems is not None:
        val = list(config.val_stems)
    elif config.model == "dlmng" and len(stems) > 1:
        val = stems[: max(1, round(len(stems) * config.val_fraction))]
    else:
        val = []
    return [s for s in stems if s not in val], val


def _labelled(config: TrainConfig, stems: list, seed: int, *, augment: bool = True) -> CompositionDataset:
    return CompositionDataset(config.data_dir, config.backgrounds_dir, crop=config.crop, stems=stems, seed=seed,
                              cache_dir=Path(config.out_dir) / "cache", augment=augment,
                              synthetic_fraction=config.synthetic_fraction if augment else 0.0,
                              real_fraction=config.real_fraction if augment else 0.0,
                              augmentation=config.augment_config() if augment else None)


def setup_dlmng(config: TrainConfig) -> RunSetup:
    """DLMN-G, supervised on composites (or on a sample pool, made later by the trainer)."""
    import torch

    from matting_studio.engine.models import build_dlmng

    rank, world_size = world()
    device = _device(config, world_size)
    torch.manual_seed(config.seed)
    model = build_dlmng(config=config.size)
    init = _init_weights(config)
    if init is not None:  # weights of a network with fewer prior channels start with the new ones at zero
        load_weights(model, widen_inputs(init, model)[0])
    train, val = split_stems(config)
    if config.data_dir and not train:
        raise DatasetError("Every image is held out for validation; leave some for training.")
    if config.pool_dir is not None:
        train_data = None
    elif train:
        train_data = _labelled(config, train, config.seed)
    else:
        train_data = CompositionDataset(None, config.backgrounds_dir, crop=config.crop, seed=config.seed,
                                        synthetic_fraction=config.synthetic_fraction,
                                        augmentation=config.augment_config())
    val_data = _labelled(config, val, config.seed + 99, augment=False) if val else \
        CompositionDataset(None, config.backgrounds_dir, crop=config.crop, synthetic_fraction=1.0,
                           seed=config.seed + 99, augment=False)
    return _finish(config, device, model.to(device), train, train_data, val_data)


def setup_ssrn(config: TrainConfig) -> RunSetup:
    """SSRN: adversarial on unlabelled photos with the DLMN-G teacher; with ``data_dir``, every other step is
    supervised on composites of the training stems (SSRN learns to fix the teacher's errors) and the held-out
    stems validate teacher → SSRN."""
    import torch

    from matting_studio.engine.checkpoint_io import read_checkpoint
    from matting_studio.engine.learned import model_size
    from matting_studio.engine.models import build_discriminator, build_dlmng, build_ssrn

    rank, world_size = world()
    device = _device(config, world_size)
    torch.manual_seed(config.seed)
    ckpt = read_checkpoint(Path(config.teacher))
    teacher = build_dlmng(config=model_size(ckpt), weights=ckpt).to(device).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    model = build_ssrn(config=config.size, weights=_init_weights(config)).to(device)
    discriminator = build_discriminator(config=config.size).to(device)
    photos = UnlabelledPhotos(config.unlabelled_dir, config.backgrounds_dir, crop=config.crop, seed=config.seed,
                              segment=_person_segment_or_none())
    train, val = split_stems(config) if config.data_dir else ([], [])
    labelled = _labelled(config, train, config.seed + 7) if train else None
    val_data = _labelled(config, val, config.seed + 99, augment=False) if val else None
    return _finish(config, device, model, train, photos, val_data, discriminator=discriminator, teacher=teacher,
                   labelled_data=labelled)


def _finish(config: TrainConfig, device, model, train_stems, train_data, val_data, *, discriminator=None,
            **parts) -> RunSetup:
    """Optimisers, the warm-up + cosine schedule, DDP wrapping, the checkpoint to resume from and the EMA."""
    import torch

    params = list(model.parameters())
    if world()[1] > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(model)
        discriminator = DDP(discriminator) if discriminator is not None else None
        params = list(model.parameters())
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=1e-4)
    warmup = max(1, min(100, config.steps // 20))
    schedule = lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / config.steps)))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    opt_d = torch.optim.AdamW(discriminator.parameters(), lr=config.lr, betas=(0.5, 0.999)) \
        if discriminator is not None else None
    run = RunSetup(device=device, model=model, optimizer=optimizer, scheduler=scheduler, train_stems=train_stems,
                   train_data=train_data, val_data=val_data, discriminator=discriminator, opt_d=opt_d, **parts)
    run.resumed_from = checkpoints.latest_complete(Path(config.out_dir)) if config.resume else None
    ema_state = None
    if run.resumed_from is not None:
        ckpt = run.resumed_from.checkpoint
        bare(model).load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        if discriminator is not None and ckpt.get("discriminator"):
            bare(discriminator).load_state_dict(ckpt["discriminator"])
            opt_d.load_state_dict(ckpt["opt_d"])
        checkpoints.restore_rng(ckpt["rng"])
        run.start_step, ema_state = int(ckpt["step"]), ckpt.get("ema")
    if config.ema > 0:  # a smoothed copy of the weights: what is validated, kept as best and shipped
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        run.ema = AveragedModel(bare(model), multi_avg_fn=get_ema_multi_avg_fn(config.ema), use_buffers=True)
        if ema_state is not None:
            run.ema.load_state_dict(ema_state)
    return run


def setup_run(config: TrainConfig) -> RunSetup:
    return setup_dlmng(config) if config.model == "dlmng" else setup_ssrn(config)


def _person_segment_or_none():
    """The person segmenter as ``segment(image) -> mask`` when its weights are installed, else None."""
    from matting_studio.engine import weights

    if not weights.is_available(weights.SELFIE.name):
        return None
    from matting_studio.engine.segmentation.person import PersonSegmenter

    segmenter = PersonSegmenter(device="cpu")
    return lambda image: segmenter.segment(image)
