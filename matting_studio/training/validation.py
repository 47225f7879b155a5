"""Validation of a run's weights: fixed crops (loss, SAD, MSE over their unknown region, in trimap mode as the
benchmark is scored) and, for DLMN-G, the held-out images matted whole (``image_SAD`` / ``image_MSE``), as the
pipeline and the benchmark do: crops miss failures that need the whole picture."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from matting_studio.training.config import TrainConfig
from matting_studio.training.datasets import pair_foregrounds
from matting_studio.training.setup import RunSetup


class Validator:
    def __init__(self, run: RunSetup, config: TrainConfig) -> None:
        self.run, self.config = run, config
        self._held_out: Optional[list] = None  # loaded on the first whole-image validation

    def __call__(self) -> dict:
        """Metrics of the run's weights (the moving average when on); for SSRN, of the teacher's alpha refined
        by SSRN, known trimap pixels kept exact as in the pipeline. Empty without validation data."""
        import torch

        from matting_studio.core.metrics import mse, sad
        from matting_studio.engine.models.blocks import apply_known
        from matting_studio.training.losses import dlmng_loss

        run = self.run
        if run.val_data is None:
            return {}
        model = run.weights_model()
        model.eval()
        sads, mses, loss = [], [], []
        with torch.no_grad():
            for i in range(self.config.val_samples):
                b = run.val_data.item(i, "trimap" if run.uses_prior() else None)
                b = {k: v[None].to(run.device) for k, v in b.items()}
                prior = b.pop("prior", None)
                if run.teacher is None:
                    out = model(b["image"], b["trimap"], b["motion"], b["trimap"], prior=prior)
                else:
                    coarse = run.teacher(b["image"], b["trimap"], b["motion"], b["trimap"], prior=prior)["alpha"]
                    out = model(b["image"], b["motion"], b["trimap"], coarse)
                    out = {**out, "alpha": apply_known(out["alpha"], b["trimap"])}
                loss.append(float(dlmng_loss(out, b)["total"]))
                pred = out["alpha"][0, 0].cpu().numpy().clip(0, 1)
                gt, tri = b["alpha"][0, 0].cpu().numpy(), b["trimap"][0, 0].cpu().numpy()
                sads.append(sad(pred, gt, tri))
                mses.append(mse(pred, gt, tri))
        metrics = {"loss": float(np.mean(loss)), "SAD": float(np.mean(sads)), "MSE": float(np.mean(mses))}
        if run.teacher is None:
            metrics.update(self.whole_images(model))
        return metrics

    def whole_images(self, model) -> dict:
        """``image_SAD`` / ``image_MSE`` of ``model`` over :func:`held_out_images`; empty without them."""
        from matting_studio.core.metrics import mse, sad
        from matting_studio.engine.models.infer import predict_alpha

        scores = []
        if self._held_out is None:
            self._held_out = held_out_images(self.config)
        for image, alpha, trimap in self._held_out:
            pred, _ = predict_alpha(model, image, trimap, trimap, device=self.run.device, working_size=1024)
            scores.append((sad(pred, alpha, trimap), mse(pred, alpha, trimap)))
        if not scores:
            return {}
        return {"image_SAD": float(np.mean([s for s, _ in scores])), "image_MSE": float(np.mean([m for _, m in scores]))}


def held_out_images(config: TrainConfig) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(image (H,W,3), alpha (H,W), trimap (H,W))`` of the held-out stems at full size; the dataset's
    ``trimap/`` when it has one (a benchmark's), else a fixed band around the true alpha's unknown pixels."""
    from matting_studio.core import imageio
    from matting_studio.core.trimap import validate_trimap
    from matting_studio.training.imperfect_segmentation import random_trimap

    items = []
    if config.data_dir and config.val_stems:
        for stem, image_path, alpha_path, _ in pair_foregrounds(config.data_dir, config.val_stems):
            image = imageio.load_image(image_path).rgb
            alpha = imageio.load_gray(alpha_path)
            trimap_path = Path(config.data_dir) / "trimap" / f"{stem}.png"
            trimap = validate_trimap(imageio.load_gray(trimap_path), image.shape) if trimap_path.is_file() \
                else random_trimap(alpha, np.random.default_rng([config.seed, 99]))
            items.append((image, alpha, trimap))
    return items
