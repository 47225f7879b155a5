"""The learned matting stages (DLMN-G, then optionally SSRN) behind one small object for the pipeline.

Weights come from a file the user gives, or from the project's own trained weights bundled in ``models/``
(sha256-verified through :mod:`matting_studio.engine.weights`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import numpy as np

from matting_studio.core.errors import WeightsError
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report
from matting_studio.engine.checkpoint_io import read_checkpoint


def model_size(checkpoint: dict, default: str = "lite") -> str:
    """The ``lite`` / ``paper`` size recorded in a checkpoint (``size`` at top level or in its config)."""
    for holder in (checkpoint, checkpoint.get("config") or {}):
        if isinstance(holder, dict):
            for key in ("size", "model_size"):
                if holder.get(key) in ("lite", "paper"):
                    return holder[key]
    return default


def _fast_layout(model):
    """For inference: BatchNorm folded into the convs, then channels-last weights (about 10 % faster on CPU for
    DLMN-G lite, GT18, 2 threads; folding a few % more). Same results up to float rounding."""
    import torch

    from matting_studio.engine.models.blocks import fold_batchnorm

    return fold_batchnorm(model.eval()).to(memory_format=torch.channels_last)


class LearnedMatting:
    """DLMN-G (+ SSRN) inference on numpy images; models are built lazily (once, under a lock) and kept.

    Several threads may predict at once: the models are in eval mode and inference changes no state."""

    def __init__(
        self,
        *,
        device: str = "auto",
        dlmng_weights: Optional[Path] = None,
        ssrn_weights: Optional[Path] = None,
        working_size: int = 1024,
    ) -> None:
        self.device_name = device
        self.dlmng_weights = dlmng_weights
        self.ssrn_weights = ssrn_weights
        self.working_size = working_size
        self._dlmng = None
        self._ssrn = None
        self._device = None
        self._load_lock = threading.Lock()

    def _resolve(self, given: Optional[Path], bundled: str) -> Path:
        if given is not None:
            return Path(given)
        from matting_studio.engine import weights

        if bundled not in weights.REGISTRY:
            kind = "SSRN" if bundled.startswith("ssrn") else "DLMN-G"
            raise WeightsError(f"No trained {kind} weights are installed; pass a weights file "
                               f"(--weights / --ssrn-weights) or choose a classical method.")
        return weights.ensure_weights(bundled, allow_fetch=False)

    def _load(self, refine: bool) -> None:
        from matting_studio.engine.device import choose_device
        from matting_studio.engine.models import build_dlmng, build_ssrn
        from matting_studio.engine import weights

        with self._load_lock:  # two threads must not build (and load) the same model twice
            if self._device is None:
                self._device = choose_device(self.device_name)
            if self._dlmng is None:
                path = self._resolve(self.dlmng_weights, weights.LEARNED_WEIGHTS["dlmng"])
                checkpoint = read_checkpoint(path)
                model = build_dlmng(config=model_size(checkpoint), weights=checkpoint)
                self._dlmng = _fast_layout(model.to(self._device))
            if refine and self._ssrn is None:
                if self.ssrn_weights is None and self.dlmng_weights is not None:
                    # A user's own DLMN-G checkpoint may carry its SSRN alongside; else use the bundled one.
                    sibling = Path(self.dlmng_weights).with_name("ssrn.pt")
                    path = sibling if sibling.is_file() else self._resolve(None, weights.LEARNED_WEIGHTS["ssrn"])
                else:
                    path = self._resolve(self.ssrn_weights, weights.LEARNED_WEIGHTS["ssrn"])
                checkpoint = read_checkpoint(path)
                model = build_ssrn(config=model_size(checkpoint), weights=checkpoint)
                self._ssrn = _fast_layout(model.to(self._device))

    def predict(
        self,
        image: np.ndarray,
        soft_mask: np.ndarray,
        trimap: Optional[np.ndarray],
        *,
        refine: bool = True,
        motion: Optional[np.ndarray] = None,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
        timings: Optional[dict] = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(alpha (H,W), foreground (H,W,3))`` float32 in [0, 1] at the image's resolution; ``timings`` receives
        the seconds of the ``prior`` stage and the ``networks``.

        ``motion`` ``(4, H, W)`` float32: the frame's motion cues; None → the image's grayscale repeated."""
        from matting_studio.engine.models.infer import predict_alpha

        report(progress, 0.0, "Loading the learned models")
        self._load(refine)
        check_cancel(cancel)
        report(progress, 0.2, "DLMN-G" + (" + SSRN" if refine else ""))
        alpha, fg = predict_alpha(
            self._dlmng,
            image,
            soft_mask,
            trimap,
            ssrn=self._ssrn if refine else None,
            device=self._device,
            working_size=self.working_size,
            motion=motion,
            cancel=cancel,
            timings=timings,
        )
        report(progress, 1.0, "Done")
        return alpha, fg
