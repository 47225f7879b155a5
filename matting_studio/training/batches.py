"""A run's batches: a pure function of ``(seed, step, rank)``, with the matting prior of the trimap the step
feeds the networks, and the next batch prepared on a background thread (OpenCV and NumPy release the GIL, so
data preparation overlaps the optimisation step)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Optional

import numpy as np

from matting_studio.engine.models.colour_prior import matting_prior_batch
from matting_studio.training.config import TrainConfig
from matting_studio.training.datasets import collate
from matting_studio.training.sample_pool import PoolDataset
from matting_studio.training.setup import RunSetup, world
from matting_studio.training.steps import GUIDANCE_MODES


class Batches:
    """``batches[step]`` is the batch of ``step`` on the run's device (tensors ``(B, C, S, S)``)."""

    def __init__(self, run: RunSetup, config: TrainConfig) -> None:
        self.run, self.config = run, config
        self.rank, self.world = world()
        self._pool: Optional[ThreadPoolExecutor] = None
        self._pending: dict[int, Future] = {}

    def supervised_ssrn_step(self, step: int) -> bool:
        return self.config.model == "ssrn" and self.run.labelled_data is not None and step % 2 == 1

    def guidance_mode(self, step: int) -> str:
        """How ``step``'s batch is guided (``steps.guidance``): drawn per step with ``guidance_mix``, or
        ``given`` (chosen per sample) when DLMN-G trains on a sample pool."""
        if self.config.model == "dlmng" and self.config.pool_dir is not None:
            return "given"
        mix = np.asarray(self.config.guidance_mix, dtype=np.float64)
        return str(np.random.default_rng([self.config.seed, step, 3]).choice(GUIDANCE_MODES, p=mix / mix.sum()))

    def make(self, step: int) -> dict:
        """The batch of ``step`` on the CPU."""
        c = self.config
        base = (step * self.world + self.rank) * c.batch_size
        supervised = self.supervised_ssrn_step(step)
        source = self.run.labelled_data if supervised else self.run.train_data
        if isinstance(source, PoolDataset):  # guidance and prior are in the samples
            return collate([source.item(base + j) for j in range(c.batch_size)])
        # The trimap this step feeds the networks gets its matting prior, as the pipeline computes it (a labelled
        # dataset makes it per sample: on the whole photo for crops of real photos).
        mode = self.guidance_mode(step) if c.model == "dlmng" or supervised else "auto"
        key = {"auto": "seg_trimap", "trimap": "trimap"}.get(mode) if self.run.uses_prior() else None
        if key is not None and hasattr(source, "item"):
            return collate([source.item(base + j, key) for j in range(c.batch_size)])
        batch = collate([source[base + j] for j in range(c.batch_size)])
        if key is not None:
            batch["prior"] = matting_prior_batch(batch["image"], batch[key])
        return batch

    def __getitem__(self, step: int) -> dict:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batches")
        pending = self._pending.pop(step, None)
        batch = pending.result() if pending is not None else self.make(step)
        self._pending.clear()
        if step + 1 < self.config.steps:
            self._pending[step + 1] = self._pool.submit(self.make, step + 1)
        return {k: v.to(self.run.device) for k, v in batch.items()}

    def close(self) -> None:
        """Stop preparing (the thread ends with the run)."""
        if self._pool is not None:
            for future in self._pending.values():
                future.cancel()
            self._pending.clear()
            self._pool.shutdown(wait=True)
            self._pool = None
