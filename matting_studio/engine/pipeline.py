"""The inference pipeline: image → soft segmentation → trimap → alpha (+ foreground) → [refinement].

Every stage is swappable: the segmenter backend (``person``, ``deeplabv3``, ``object``), the matting method
(the classical ones from :mod:`matting_studio.classical`, or the learned ``dlmng`` / ``ssrn``), the device.
Intermediate results are returned for the GUI panes. Images are numpy ``float32`` in [0, 1]: RGB
``(H, W, 3)``, masks ``(H, W)``; trimaps ``(H, W)`` with values {0, 0.5, 1}.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from matting_studio import classical
from matting_studio.core import trimap as trimap_ops
from matting_studio.core.errors import MethodError, WeightsError
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report, sub_progress

LEARNED_METHODS = ("dlmng", "ssrn")
SEGMENTER_NAMES = ("person", "deeplabv3", "object")


@dataclass
class PipelineResult:
    """What one run produced; arrays are full resolution."""

    image: np.ndarray  # (H, W, 3) float32 [0, 1]
    soft_mask: Optional[np.ndarray]  # (H, W) float32 [0, 1]; None when a trimap was given
    trimap: np.ndarray  # (H, W) float32 {0, 0.5, 1}
    alpha: np.ndarray  # (H, W) float32 [0, 1]
    foreground: np.ndarray  # (H, W, 3) float32 [0, 1]
    method: str
    segmenter: Optional[str]
    timings: dict[str, float] = field(default_factory=dict)  # stage → seconds
    warnings: list[str] = field(default_factory=list)


def learned_weights_available() -> dict[str, bool]:
    """Which learned methods have weights bundled with this install (no download needed)."""
    from matting_studio.engine import weights

    return {m: weights.is_available(weights.LEARNED_WEIGHTS[m]) for m in LEARNED_METHODS}


def available_methods() -> list[str]:
    """Classical method names, plus ``dlmng`` / ``ssrn`` when their weights ship with this install."""
    names = list(classical.METHODS)
    try:
        have = learned_weights_available()
    except Exception:  # a broken registry must not hide the classical methods
        have = {}
    return [m for m in LEARNED_METHODS if have.get(m)] + names


def default_method() -> str:
    """The method auto mode uses: DLMN-G → SSRN when our weights are installed *and* their manifest entry marks
    them as the default (they are promoted only once their model card shows them ahead of the classical
    methods); otherwise closed-form. The learned methods stay available to choose either way."""
    from matting_studio.engine import weights

    methods = available_methods()
    for name in ("ssrn", "dlmng"):
        if name in methods and weights.is_default(weights.LEARNED_WEIGHTS[name]):
            return name
    return "cf"


class Pipeline:
    """Configurable matting pipeline. Stateless between images except for cached models.

    Args:
        segmenter: ``person`` (MediaPipe selfie weights, offline after one fetch), ``deeplabv3`` (needs
            torchvision weights or a file), or ``object`` (GrabCut, no weights).
        method: a classical method name or ``dlmng`` / ``ssrn``; ``None`` → :func:`default_method`.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps`` (learned stages only).
        fast: classical methods solve on the unknown band's crop / reduced scale (see ``classical``).
        weights: optional DLMN-G checkpoint file (else the bundled one); ``ssrn_weights`` likewise.
    """

    def __init__(
        self,
        *,
        segmenter: str = "person",
        method: Optional[str] = None,
        device: str = "auto",
        fast: bool = True,
        erode: Optional[int] = None,
        dilate: Optional[int] = None,
        weights: Optional[str | Path] = None,
        ssrn_weights: Optional[str | Path] = None,
        segmenter_options: Optional[dict] = None,
    ) -> None:
        if segmenter not in SEGMENTER_NAMES:
            raise MethodError(f"Unknown segmenter '{segmenter}'; choose one of {', '.join(SEGMENTER_NAMES)}.")
        self.segmenter_name = segmenter
        self.method = method or default_method()
        if self.method not in LEARNED_METHODS:
            classical.get_method(self.method)  # raises MethodError for unknown names
        self.device = device
        self.fast = fast
        self.erode = erode
        self.dilate = dilate
        self.weights = Path(weights) if weights else None
        self.ssrn_weights = Path(ssrn_weights) if ssrn_weights else None
        self.segmenter_options = dict(segmenter_options or {})
        self._segmenters: dict[str, object] = {}
        self._learned = None
        self.warnings: list[str] = []

    # -- stages ---------------------------------------------------------------------------------------

    def _get_segmenter(self, name: str):
        if name not in self._segmenters:
            from matting_studio.engine.segmentation import get_segmenter

            options = self.segmenter_options if name == self.segmenter_name else {}
            self._segmenters[name] = get_segmenter(name, device=self.device, **options)
        return self._segmenters[name]

    def segment(
        self, image: np.ndarray, *, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None
    ) -> np.ndarray:
        """Soft segmentation of the subject: ``(H, W, 3)`` → ``(H, W)`` float32 in [0, 1].

        A DeepLabV3 backend without weights falls back to the person segmenter (recorded in ``warnings``).
        """
        name = self.segmenter_name
        try:
            segmenter = self._get_segmenter(name)
        except WeightsError as exc:
            if name != "deeplabv3":
                raise
            self.warnings.append(f"{exc} Using the person segmenter instead.")
            name = "person"
            segmenter = self._get_segmenter(name)
        return segmenter.segment(image, progress=progress, cancel=cancel)

    def make_trimap(
        self, soft_mask: np.ndarray, *, erode: Optional[int] = None, dilate: Optional[int] = None
    ) -> np.ndarray:
        """Automatic trimap from the soft mask by erosion / dilation (radii in px; default relative to size)."""
        return trimap_ops.trimap_from_mask(
            soft_mask,
            erode=erode if erode is not None else self.erode,
            dilate=dilate if dilate is not None else self.dilate,
        )

    def _learned_models(self):
        if self._learned is None:
            from matting_studio.engine.learned import LearnedMatting

            self._learned = LearnedMatting(
                device=self.device, dlmng_weights=self.weights, ssrn_weights=self.ssrn_weights
            )
        return self._learned

    def matte(
        self,
        image: np.ndarray,
        trimap: np.ndarray,
        *,
        method: Optional[str] = None,
        soft_mask: Optional[np.ndarray] = None,
        motion: Optional[np.ndarray] = None,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Alpha ``(H, W)`` and foreground ``(H, W, 3)`` for ``image`` given a trimap (and the soft mask).

        ``motion`` ``(4, H, W)``: the learned methods' motion cues (``core.motion``); None → the image repeated.
        """
        method = method or self.method
        trimap = trimap_ops.validate_trimap(trimap, image.shape)
        if method in LEARNED_METHODS:
            if soft_mask is None:  # a user / benchmark trimap is the only guidance (as DLMN-G was trained)
                soft_mask = trimap
            return self._learned_models().predict(
                image, soft_mask, trimap, refine=(method == "ssrn"), motion=motion, progress=progress, cancel=cancel
            )
        alpha = classical.run_method(
            method, image, trimap, fast=self.fast, progress=sub_progress(progress, 0.0, 0.8), cancel=cancel
        )
        check_cancel(cancel)
        foreground = classical.estimate_foreground(
            image, alpha, progress=sub_progress(progress, 0.8, 1.0), cancel=cancel
        )
        return alpha, foreground

    # -- whole pipeline -------------------------------------------------------------------------------

    def run(
        self,
        image: np.ndarray,
        *,
        trimap: Optional[np.ndarray] = None,
        soft_mask: Optional[np.ndarray] = None,
        motion: Optional[np.ndarray] = None,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ) -> PipelineResult:
        """Run every stage. With ``trimap`` the segmentation is skipped (the trimap is the guidance).

        ``motion`` ``(4, H, W)``: motion cues from the frame's neighbours (video, burst); None → one photo."""
        self.warnings = []
        timings: dict[str, float] = {}
        segmenter = None
        if trimap is None:
            if soft_mask is None:
                report(progress, 0.0, "Segmenting the subject")
                t0 = time.perf_counter()
                soft_mask = self.segment(image, progress=sub_progress(progress, 0.0, 0.3), cancel=cancel)
                timings["segmentation"] = time.perf_counter() - t0
            segmenter = self.segmenter_name
            check_cancel(cancel)
            t0 = time.perf_counter()
            trimap = self.make_trimap(soft_mask)
            timings["trimap"] = time.perf_counter() - t0
        else:
            trimap = trimap_ops.validate_trimap(trimap, image.shape)
        check_cancel(cancel)
        report(progress, 0.35, f"Matting ({self.method})")
        t0 = time.perf_counter()
        alpha, foreground = self.matte(
            image, trimap, soft_mask=soft_mask, motion=motion, progress=sub_progress(progress, 0.35, 1.0),
            cancel=cancel,
        )
        timings["matting"] = time.perf_counter() - t0
        report(progress, 1.0, "Done")
        return PipelineResult(
            image=image,
            soft_mask=soft_mask,
            trimap=trimap,
            alpha=alpha,
            foreground=foreground,
            method=self.method,
            segmenter=segmenter,
            timings=timings,
            warnings=list(self.warnings),
        )
