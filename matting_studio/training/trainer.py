"""The training loop as an event stream: ``Trainer(config).events()`` yields :class:`TrainEvent`s.

Pause / resume / stop are thread-safe and act between steps. Batches are a pure function of
``(seed, step, rank)``, so a run resumed from ``last.pt`` continues exactly as if uninterrupted. Under
``torchrun`` (``WORLD_SIZE`` > 1) the same loop runs with DistributedDataParallel; rank 0 writes files.
The parts are built by :mod:`~matting_studio.training.setup`; batches, validation and steps are collaborators.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Optional

from matting_studio.training import checkpoints, curves, steps
from matting_studio.training.batches import Batches
from matting_studio.training.config import TrainConfig
from matting_studio.training.events import TrainEvent
from matting_studio.training.sample_pool import PoolDataset, iter_build_pool
from matting_studio.training.setup import bare, setup_run, world
from matting_studio.training.validation import Validator


class Trainer:
    """Trains DLMN-G (supervised) or SSRN (adversarial, DLMN-G teacher). See the module docstring."""

    def __init__(self, config: TrainConfig) -> None:
        config.validate()
        self.config, self.out_dir = config, Path(config.out_dir)
        self._pause, self._stop = threading.Event(), threading.Event()
        self.run = None  # the RunSetup, built when training starts
        self.writer = world()[0] == 0

    def pause(self) -> None:
        self._pause.set()

    def resume(self) -> None:
        self._pause.clear()

    def stop(self) -> None:
        self._stop.set()
        self._pause.clear()

    def events(self) -> Iterator[TrainEvent]:
        """Train, yielding events; the batch-preparing thread ends with the generator."""
        self.run = setup_run(self.config)
        batches = Batches(self.run, self.config)
        try:
            yield from self._prepare_pool()
            if not self._stop.is_set():
                yield from self._loop(batches, Validator(self.run, self.config))
        finally:
            batches.close()

    def _prepare_pool(self) -> Iterator[TrainEvent]:
        """Make the pool's missing samples, then draw from it (DLMN-G with ``pool_dir``)."""
        c, run = self.config, self.run
        if c.model != "dlmng" or c.pool_dir is None:
            return
        for done, total in iter_build_pool(
                c.data_dir, c.backgrounds_dir, c.pool_dir, stems=run.train_stems, per_stem=c.pool_per_stem,
                synthetic=c.pool_synthetic if c.synthetic_fraction > 0 else 0, crop=c.crop, seed=c.seed,
                real_fraction=c.real_fraction, guidance_mix=c.guidance_mix, augmentation=c.augment_config(),
                cache_dir=self.out_dir / "cache"):
            if self._stop.is_set():
                yield TrainEvent("stopped", 0, c.steps)
                return
            yield TrainEvent("preparing", done, total)
        run.train_data = PoolDataset(c.pool_dir, run.train_stems, synthetic_fraction=c.synthetic_fraction, seed=c.seed)

    def _step(self, batches: Batches, step: int) -> dict:
        c, run = self.config, self.run
        batch, mode = batches[step], batches.guidance_mode(step)
        if c.model == "dlmng":
            return steps.dlmng_step(run.model, run.optimizer, batch, mode=mode, loss_weights={"mse": c.mse_weight})
        if batches.supervised_ssrn_step(step):
            return steps.ssrn_supervised_step(run.model, run.optimizer, run.teacher, batch, mode=mode,
                                              loss_weights={"mse": c.mse_weight})
        return steps.ssrn_step(run.model, run.discriminator, run.optimizer, run.opt_d, run.teacher, batch)

    def _loop(self, batches: Batches, validate: Validator) -> Iterator[TrainEvent]:
        c, run, writer = self.config, self.run, self.writer
        if run.resumed_from is not None:
            yield TrainEvent("resumed", run.start_step, c.steps, path=run.resumed_from.path)
        if writer:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            curves.truncate_after(self.out_dir, run.start_step)
        step, best_sad, best = run.start_step, float("inf"), self.out_dir / "best.pt"
        if step > 0 and best.is_file():  # resuming: only a better validation replaces best.pt
            val = checkpoints.load_checkpoint(best).get("val", {})
            best_sad = float(val.get("image_SAD", val.get("SAD", float("inf"))))
        t_start, done_here = time.perf_counter(), 0
        while step < c.steps:
            while self._pause.is_set() and not self._stop.is_set():
                time.sleep(0.05)
            if self._stop.is_set():
                if writer:
                    path = checkpoints.save_checkpoint(self.out_dir / checkpoints.LAST, run.state(step, c))
                    yield TrainEvent("checkpoint", step, c.steps, path=path)
                yield TrainEvent("stopped", step, c.steps)
                return
            terms = self._step(batches, step)
            lr = run.optimizer.param_groups[0]["lr"]
            run.scheduler.step()
            if run.ema is not None:
                run.ema.update_parameters(bare(run.model))
            step, done_here = step + 1, done_here + 1
            elapsed = time.perf_counter() - t_start
            if writer:
                curves.append_row(self.out_dir, {"step": step, "split": "train", "loss": terms["total"], "lr": lr})
            yield TrainEvent("step", step, c.steps, losses=terms, lr=lr, eta_s=(c.steps - step) * elapsed / done_here,
                             images_per_s=done_here * c.batch_size * batches.world / max(elapsed, 1e-9))
            if writer and run.val_data is not None and (step % c.val_every == 0 or step == c.steps):
                metrics = validate()
                curves.append_row(self.out_dir, {"step": step, "split": "val", **metrics})
                curves.plot(self.out_dir)
                score = metrics.get("image_SAD", metrics.get("SAD", float("inf")))  # whole images when held out
                if score < best_sad:  # early stopping keeps the best weights
                    best_sad = score
                    checkpoints.save_checkpoint(best, run.weights(step, c, val=metrics))
                yield TrainEvent("validation", step, c.steps, metrics=metrics)
            if writer and (step % c.checkpoint_every == 0 or step == c.steps):
                state = run.state(step, c)
                checkpoints.save_checkpoint(self.out_dir / f"step_{step:07d}.pt", state)
                path = checkpoints.save_checkpoint(self.out_dir / checkpoints.LAST, state)
                checkpoints.prune(self.out_dir, c.keep_checkpoints)
                yield TrainEvent("checkpoint", step, c.steps, path=path)
        final = None
        if writer:
            curves.plot(self.out_dir)
            final = checkpoints.save_checkpoint(self.out_dir / "model.pt", run.weights(step, c))
        yield TrainEvent("done", step, c.steps, path=final)


def run_training(config: TrainConfig, *, on_event: Optional[Callable[[TrainEvent], None]] = None) -> TrainEvent:
    """Run to the end (CLI / torchrun entry); returns the last event."""
    last = None
    for event in Trainer(config).events():
        last = event
        if on_event is not None:
            on_event(event)
    return last
