"""The training loop as an event stream: ``Trainer(config).events()`` yields :class:`TrainEvent`s.

Pause / resume / stop are thread-safe and act between steps. Batches are a pure function of
``(seed, step, rank)``, so a run resumed from ``last.pt`` continues exactly as if uninterrupted. Under
``torchrun`` (``WORLD_SIZE`` > 1) the same loop runs with DistributedDataParallel; rank 0 writes files.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

import numpy as np

from matting_studio.core.errors import DatasetError
from matting_studio.engine.models.colour_prior import matting_prior_batch as batch_prior
from matting_studio.engine.models.loading import load_weights, widen_inputs
from matting_studio.training import checkpoints, curves
from matting_studio.training.config import TrainConfig
from matting_studio.training.datasets import (
    CompositionDataset, UnlabelledPhotos, collate, pair_foregrounds,
)
from matting_studio.training.sample_pool import PoolDataset, iter_build_pool


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


def _world() -> tuple[int, int]:
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


class Trainer:
    """Trains DLMN-G (supervised) or SSRN (adversarial, DLMN-G teacher). See the module docstring."""

    def __init__(self, config: TrainConfig) -> None:
        config.validate()
        self.config = config
        self.out_dir = Path(config.out_dir)
        self._pause = threading.Event()
        self._pool = None
        self._pending: dict = {}
        self._best_sad = float("inf")
        self._held_out: Optional[list] = None  # loaded on the first whole-image validation
        self._stop = threading.Event()
        self.rank, self.world = _world()

    # -- control (thread-safe) -------------------------------------------------------------------------

    def pause(self) -> None:
        self._pause.set()

    def resume(self) -> None:
        self._pause.clear()

    def stop(self) -> None:
        self._stop.set()
        self._pause.clear()

    # -- setup -----------------------------------------------------------------------------------------

    def _setup(self) -> None:
        import torch

        from matting_studio.engine.device import choose_device
        from matting_studio.engine.models import build_discriminator, build_dlmng, build_ssrn

        c = self.config
        if self.world > 1:
            import torch.distributed as dist

            if not dist.is_initialized():
                dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
            self.device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if torch.cuda.is_available() \
                else torch.device("cpu")
        else:
            self.device = choose_device(c.device)
        torch.manual_seed(c.seed)
        cache = self.out_dir / "cache"
        if c.model == "dlmng":
            self.model = build_dlmng(config=c.size)
            init = self._init_weights()
            if init is not None:  # weights of a network with fewer prior channels start with the new ones at zero
                load_weights(self.model, widen_inputs(init, self.model)[0])
            self.model = self.model.to(self.device)
            stems_all = [s for s, *_ in pair_foregrounds(c.data_dir)] if c.data_dir else []
            if c.val_stems is not None:
                val = list(c.val_stems)
            else:
                val = stems_all[: max(1, round(len(stems_all) * c.val_fraction))] if len(stems_all) > 1 else []
            train = [s for s in stems_all if s not in val]
            if c.data_dir and not train:
                raise DatasetError("Every image is held out for validation; leave some for training.")
            self.train_stems = train
            if c.pool_dir is None:
                self.train_data = CompositionDataset(c.data_dir if train else None, c.backgrounds_dir, crop=c.crop,
                                                     stems=train or None, synthetic_fraction=c.synthetic_fraction,
                                                     seed=c.seed, cache_dir=cache, real_fraction=c.real_fraction,
                                                     augmentation=c.augment_config())
            else:
                self.train_data = None  # the pool's samples, drawn once it is complete (events())
            self.val_data = CompositionDataset(c.data_dir, c.backgrounds_dir, crop=c.crop, stems=val, seed=c.seed + 99,
                                               cache_dir=cache, augment=False) if val else \
                CompositionDataset(None, c.backgrounds_dir, crop=c.crop, synthetic_fraction=1.0, seed=c.seed + 99,
                                   augment=False)
            params = list(self.model.parameters())
            self.discriminator = None
        else:
            from matting_studio.engine.learned import model_size, read_checkpoint

            ckpt = read_checkpoint(Path(c.teacher))
            self.teacher = build_dlmng(config=model_size(ckpt), weights=ckpt).to(self.device).eval()
            for p in self.teacher.parameters():
                p.requires_grad_(False)
            self.model = build_ssrn(config=c.size, weights=self._init_weights()).to(self.device)
            self.discriminator = build_discriminator(config=c.size).to(self.device)
            self.train_data = UnlabelledPhotos(c.unlabelled_dir, c.backgrounds_dir, crop=c.crop, seed=c.seed,
                                               segment=_person_segment_or_none())
            # Labelled images (--data): every other step is supervised on composites of the training stems
            # (SSRN learns to fix the teacher's errors); the held-out stems validate teacher → SSRN.
            self.labelled_data, self.val_data = None, None
            if c.data_dir:
                stems_all = [s for s, *_ in pair_foregrounds(c.data_dir)]
                val = list(c.val_stems) if c.val_stems else []
                train = [s for s in stems_all if s not in val]
                if train:
                    self.labelled_data = CompositionDataset(c.data_dir, c.backgrounds_dir, crop=c.crop, stems=train,
                                                            synthetic_fraction=c.synthetic_fraction,
                                                            seed=c.seed + 7, cache_dir=cache,
                                                            real_fraction=c.real_fraction,
                                                            augmentation=c.augment_config())
                if val:
                    self.val_data = CompositionDataset(c.data_dir, c.backgrounds_dir, crop=c.crop, stems=val,
                                                       seed=c.seed + 99, cache_dir=cache, augment=False)
            params = list(self.model.parameters())
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            self.model = DDP(self.model)  # broadcasts rank 0's initial weights
            if self.discriminator is not None:
                self.discriminator = DDP(self.discriminator)
        self.optimizer = torch.optim.AdamW(self.model.parameters() if self.world > 1 else params, lr=c.lr,
                                           weight_decay=1e-4)
        warmup = max(1, min(100, c.steps // 20))
        schedule = lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / c.steps)))
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, schedule)
        self.opt_d = torch.optim.AdamW(self.discriminator.parameters(), lr=c.lr, betas=(0.5, 0.999)) \
            if self.discriminator is not None else None
        self.start_step = 0
        ema_state = None
        self.resumed_from = checkpoints.latest_complete(self.out_dir) if c.resume else None
        if self.resumed_from is not None:
            ckpt = self.resumed_from.checkpoint
            self._restore(ckpt)
            ema_state = ckpt.get("ema")
        self.ema = None
        if c.ema > 0:  # a smoothed copy of the weights: what is validated, kept as best and shipped
            from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

            self.ema = AveragedModel(self._bare(self.model), multi_avg_fn=get_ema_multi_avg_fn(c.ema), use_buffers=True)
            if ema_state is not None:
                self.ema.load_state_dict(ema_state)

    def _bare(self, module):
        return module.module if hasattr(module, "module") else module

    def _weights_model(self):
        """The network that is validated and saved as best / final weights: the moving average when on."""
        return self.ema.module if self.ema is not None else self._bare(self.model)

    def _restore(self, ckpt: dict) -> None:
        self._bare(self.model).load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scheduler.load_state_dict(ckpt["scheduler"])
        if self.discriminator is not None and ckpt.get("discriminator"):
            self._bare(self.discriminator).load_state_dict(ckpt["discriminator"])
            self.opt_d.load_state_dict(ckpt["opt_d"])
        checkpoints.restore_rng(ckpt["rng"])
        self.start_step = int(ckpt["step"])

    def _payload(self, step: int) -> dict:
        return {
            "model": self._bare(self.model).state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(), "step": step, "config": self.config.to_dict(),
            "size": self.config.size, "kind": self.config.model, "rng": checkpoints.rng_state(),
            "discriminator": self._bare(self.discriminator).state_dict() if self.discriminator is not None else None,
            "opt_d": self.opt_d.state_dict() if self.opt_d is not None else None,
            "ema": self.ema.state_dict() if self.ema is not None else None,
        }

    def _init_weights(self):
        """The ``init_weights`` checkpoint to start from, or None (fresh weights, or resuming)."""
        c = self.config
        if c.init_weights is None or (c.resume and checkpoints.has_checkpoints(self.out_dir)):
            return None
        from matting_studio.engine.learned import read_checkpoint

        return read_checkpoint(Path(c.init_weights))

    # -- data ------------------------------------------------------------------------------------------

    def _supervised_ssrn_step(self, step: int) -> bool:
        return self.config.model == "ssrn" and getattr(self, "labelled_data", None) is not None and step % 2 == 1

    def _make_batch(self, step: int) -> dict:
        c = self.config
        base = (step * self.world + self.rank) * c.batch_size
        supervised = self._supervised_ssrn_step(step)
        source = self.labelled_data if supervised else self.train_data
        # The trimap this step feeds the networks gets its matting prior, as the pipeline computes it (a labelled
        # dataset makes it per sample: on the whole photo for crops of real photos).
        if isinstance(source, PoolDataset):  # guidance and prior are in the samples
            return collate([source.item(base + j) for j in range(c.batch_size)])
        mode = self._guidance_mode(step) if c.model == "dlmng" or supervised else "auto"
        key = {"auto": "seg_trimap", "trimap": "trimap"}.get(mode) if self._uses_prior() else None
        if key is not None and hasattr(source, "item"):
            return collate([source.item(base + j, key) for j in range(c.batch_size)])
        batch = collate([source[base + j] for j in range(c.batch_size)])
        if key is not None:
            batch["prior"] = batch_prior(batch["image"], batch[key])
        return batch

    def _uses_prior(self) -> bool:
        net = self.model if self.config.model == "dlmng" else self.teacher
        return bool(getattr(self._bare(net).config, "colour_prior", False))

    def _batch(self, step: int) -> dict:
        """The batch of ``step``; the next one is prepared on a background thread meanwhile (OpenCV and
        NumPy release the GIL, so data preparation overlaps the optimisation step)."""
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batches")
        pending = self._pending.pop(step, None)
        batch = pending.result() if pending is not None else self._make_batch(step)
        self._pending.clear()
        if step + 1 < self.config.steps:
            self._pending[step + 1] = self._pool.submit(self._make_batch, step + 1)
        return {k: v.to(self.device) for k, v in batch.items()}

    def _close_pool(self) -> None:
        if self._pool is not None:
            for future in self._pending.values():
                future.cancel()
            self._pending.clear()
            self._pool.shutdown(wait=True)
            self._pool = None

    def _guidance_mode(self, step: int) -> str:
        from matting_studio.training.steps import GUIDANCE_MODES

        if self.config.model == "dlmng" and self.config.pool_dir is not None:
            return "given"
        mix = np.asarray(self.config.guidance_mix, dtype=np.float64)
        return str(np.random.default_rng([self.config.seed, step, 3]).choice(GUIDANCE_MODES, p=mix / mix.sum()))

    # -- validation ------------------------------------------------------------------------------------

    def validate(self) -> dict:
        """Mean loss, SAD (/1000, per crop) and MSE over the unknown region of fixed validation crops, in
        trimap mode (as the benchmark is scored); for SSRN, of the teacher's alpha refined by SSRN."""
        import torch

        from matting_studio.core.metrics import mse, sad
        from matting_studio.training.losses import dlmng_loss

        if self.val_data is None:
            return {}
        model = self._weights_model()
        model.eval()
        sads, mses, loss = [], [], []
        with torch.no_grad():
            for i in range(self.config.val_samples):
                b = self.val_data.item(i, "trimap" if self._uses_prior() else None)
                b = {k: v[None].to(self.device) for k, v in b.items()}
                prior = b.pop("prior", None)
                if self.config.model == "dlmng":
                    out = model(b["image"], b["trimap"], b["motion"], b["trimap"], prior=prior)
                else:  # SSRN refines the teacher's alpha; known trimap pixels stay exact, as in the pipeline
                    from matting_studio.engine.models.blocks import apply_known

                    coarse = self.teacher(b["image"], b["trimap"], b["motion"], b["trimap"], prior=prior)["alpha"]
                    out = model(b["image"], b["motion"], b["trimap"], coarse)
                    out = {**out, "alpha": apply_known(out["alpha"], b["trimap"])}
                loss.append(float(dlmng_loss(out, b)["total"]))
                pred = out["alpha"][0, 0].cpu().numpy().clip(0, 1)
                gt, tri = b["alpha"][0, 0].cpu().numpy(), b["trimap"][0, 0].cpu().numpy()
                sads.append(sad(pred, gt, tri))
                mses.append(mse(pred, gt, tri))
        metrics = {"loss": float(np.mean(loss)), "SAD": float(np.mean(sads)), "MSE": float(np.mean(mses))}
        if self.config.model == "dlmng":
            metrics.update(self._validate_whole_images(model))
        return metrics

    def _held_out_images(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(image, alpha, trimap) of the held-out stems at full size; the dataset's ``trimap/`` when it has one
        (a benchmark's), else a fixed band around the true alpha's unknown pixels."""
        if self._held_out is None:
            from matting_studio.core import imageio
            from matting_studio.core.trimap import validate_trimap
            from matting_studio.training.imperfect_segmentation import random_trimap

            c, items = self.config, []
            if c.data_dir and c.val_stems:
                for stem, image_path, alpha_path, _ in pair_foregrounds(c.data_dir, c.val_stems):
                    image = imageio.load_image(image_path).rgb
                    alpha = imageio.load_gray(alpha_path)
                    trimap_path = Path(c.data_dir) / "trimap" / f"{stem}.png"
                    trimap = validate_trimap(imageio.load_gray(trimap_path), image.shape) if trimap_path.is_file() \
                        else random_trimap(alpha, np.random.default_rng([c.seed, 99]))
                    items.append((image, alpha, trimap))
            self._held_out = items
        return self._held_out

    def _validate_whole_images(self, model) -> dict:
        """``image_SAD`` / ``image_MSE``: the held-out images matted whole, as the pipeline and the benchmark do
        (crops miss failures that need the whole picture). Empty without held-out stems."""
        from matting_studio.core.metrics import mse, sad
        from matting_studio.engine.models.infer import predict_alpha

        scores = []
        for image, alpha, trimap in self._held_out_images():
            pred, _ = predict_alpha(model, image, trimap, trimap, device=self.device, working_size=1024)
            scores.append((sad(pred, alpha, trimap), mse(pred, alpha, trimap)))
        if not scores:
            return {}
        return {"image_SAD": float(np.mean([s for s, _ in scores])), "image_MSE": float(np.mean([m for _, m in scores]))}

    # -- loop ------------------------------------------------------------------------------------------

    def events(self) -> Iterator[TrainEvent]:
        """Train, yielding events; the batch-preparing thread ends with the generator."""
        try:
            yield from self._events()
        finally:
            self._close_pool()

    def _events(self) -> Iterator[TrainEvent]:
        from matting_studio.training.steps import dlmng_step, ssrn_step, ssrn_supervised_step

        self._setup()
        c = self.config
        if c.model == "dlmng" and c.pool_dir is not None:  # make the pool's missing samples, then draw from it
            for done, total in iter_build_pool(
                    c.data_dir, c.backgrounds_dir, c.pool_dir, stems=self.train_stems, per_stem=c.pool_per_stem,
                    synthetic=c.pool_synthetic if c.synthetic_fraction > 0 else 0, crop=c.crop, seed=c.seed,
                    real_fraction=c.real_fraction, guidance_mix=c.guidance_mix, augmentation=c.augment_config(),
                    cache_dir=self.out_dir / "cache"):
                if self._stop.is_set():
                    yield TrainEvent("stopped", 0, c.steps)
                    return
                yield TrainEvent("preparing", done, total)
            self.train_data = PoolDataset(c.pool_dir, self.train_stems, synthetic_fraction=c.synthetic_fraction,
                                          seed=c.seed)
        writer = self.rank == 0
        if self.resumed_from is not None:
            yield TrainEvent("resumed", self.start_step, c.steps, path=self.resumed_from.path)
        if writer:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            curves.truncate_after(self.out_dir, self.start_step)
        step = self.start_step
        best = self.out_dir / "best.pt"
        if self.start_step > 0 and best.is_file():  # resuming: only a better validation replaces best.pt
            val = checkpoints.load_checkpoint(best).get("val", {})
            self._best_sad = float(val.get("image_SAD", val.get("SAD", float("inf"))))
        t_start, done_here = time.perf_counter(), 0
        while step < c.steps:
            while self._pause.is_set() and not self._stop.is_set():
                time.sleep(0.05)
            if self._stop.is_set():
                if writer:
                    path = checkpoints.save_checkpoint(self.out_dir / "last.pt", self._payload(step))
                    yield TrainEvent("checkpoint", step, c.steps, path=path)
                yield TrainEvent("stopped", step, c.steps)
                return
            batch = self._batch(step)
            if c.model == "dlmng":
                terms = dlmng_step(self.model, self.optimizer, batch, mode=self._guidance_mode(step),
                                   loss_weights={"mse": c.mse_weight})
            elif self._supervised_ssrn_step(step):
                terms = ssrn_supervised_step(self.model, self.optimizer, self.teacher, batch,
                                             mode=self._guidance_mode(step), loss_weights={"mse": c.mse_weight})
            else:
                terms = ssrn_step(self.model, self.discriminator, self.optimizer, self.opt_d, self.teacher, batch)
            lr = self.optimizer.param_groups[0]["lr"]
            self.scheduler.step()
            if self.ema is not None:
                self.ema.update_parameters(self._bare(self.model))
            step += 1
            done_here += 1
            elapsed = time.perf_counter() - t_start
            ips = done_here * c.batch_size * self.world / max(elapsed, 1e-9)
            eta = (c.steps - step) * elapsed / done_here
            if writer:
                curves.append_row(self.out_dir, {"step": step, "split": "train", "loss": terms["total"], "lr": lr})
            yield TrainEvent("step", step, c.steps, losses=terms, lr=lr, images_per_s=ips, eta_s=eta)
            if writer and self.val_data is not None and (step % c.val_every == 0 or step == c.steps):
                metrics = self.validate()
                curves.append_row(self.out_dir, {"step": step, "split": "val", **metrics})
                curves.plot(self.out_dir)
                score = metrics.get("image_SAD", metrics.get("SAD", float("inf")))  # whole images when held out
                if score < self._best_sad:  # early stopping keeps the best weights
                    self._best_sad = score
                    checkpoints.save_checkpoint(self.out_dir / "best.pt", {
                        "model": self._weights_model().state_dict(), "size": c.size, "kind": c.model,
                        "config": c.to_dict(), "step": step, "val": metrics})
                yield TrainEvent("validation", step, c.steps, metrics=metrics)
            if writer and (step % c.checkpoint_every == 0 or step == c.steps):
                payload = self._payload(step)
                checkpoints.save_checkpoint(self.out_dir / f"step_{step:07d}.pt", payload)
                path = checkpoints.save_checkpoint(self.out_dir / "last.pt", payload)
                checkpoints.prune(self.out_dir, c.keep_checkpoints)
                yield TrainEvent("checkpoint", step, c.steps, path=path)
        if writer:
            curves.plot(self.out_dir)
            final = checkpoints.save_checkpoint(self.out_dir / "model.pt", {
                "model": self._weights_model().state_dict(), "size": c.size, "kind": c.model,
                "config": c.to_dict(), "step": step})
            yield TrainEvent("done", step, c.steps, path=final)
        else:
            yield TrainEvent("done", step, c.steps)


def _person_segment_or_none():
    """The person segmenter as ``segment(image) -> mask`` when its weights are installed, else None."""
    from matting_studio.engine import weights

    if not weights.is_available(weights.SELFIE.name):
        return None
    from matting_studio.engine.segmentation.person import PersonSegmenter

    segmenter = PersonSegmenter(device="cpu")
    return lambda image: segmenter.segment(image)


def run_training(config: TrainConfig, *, on_event: Optional[Callable[[TrainEvent], None]] = None) -> TrainEvent:
    """Run to the end (CLI / torchrun entry); returns the last event."""
    last = None
    for event in Trainer(config).events():
        last = event
        if on_event is not None:
            on_event(event)
    return last
