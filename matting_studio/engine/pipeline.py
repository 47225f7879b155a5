"""The inference pipeline: image → soft segmentation → trimap → alpha (+ foreground) → [refinement].

Every stage is swappable: the segmenter backend (``person``, ``deeplabv3``, ``object``), the matting method
(the classical ones from :mod:`matting_studio.classical`, or the learned ``dlmng`` / ``ssrn``), the device.
Intermediate results are returned for the GUI panes. Images are numpy ``float32`` in [0, 1]: RGB
``(H, W, 3)``, masks ``(H, W)``; trimaps ``(H, W)`` with values {0, 0.5, 1}.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from matting_studio import classical
from matting_studio.core import trimap as trimap_ops
from matting_studio.core.errors import MethodError, WeightsError
from matting_studio.core.registry import (FALLBACK_METHOD, LEARNED as LEARNED_METHODS, METHOD_LABELS,
                                         SEGMENTER_NAMES)
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report, sub_progress

NO_SUBJECT = "No subject found: the cut-out is empty; try the object segmenter or draw a trimap."
BANDS = ("fixed", "adaptive")  # automatic trimap: core.trimap's fixed band or core.adaptive_band
PRIOR_MARGIN = 0.25  # enclosed regions left unknown: learned alpha this far below closed-form's is replaced
PRIOR_CONTEXT = 16  # px of context around such a region for its closed-form solve
MONOCHROME_METHOD = FALLBACK_METHOD  # automatic mode's method for black-and-white photos (see Pipeline.method_for)
MONOCHROME_NOTE = ("Black-and-white photo with a trimap: matted with " + METHOD_LABELS[MONOCHROME_METHOD].lower()
                   + ", which is ahead of the learned matting on such photos (choose a method to override).")


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
    subject_found: bool = True  # False: automatic mode found no subject (no alpha at MASK_THRESHOLD)


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
    return FALLBACK_METHOD


class Pipeline:
    """Configurable matting pipeline. Stateless between images except for cached models.

    One pipeline may serve several threads at once (the app's method pool and a batch export): the model
    caches are filled under a lock, and warnings belong to each run's result. ``fallback_warning`` is set (to the
    same text, once it applies) when a DeepLabV3 segmenter without weights is replaced by the person one.

    Args:
        segmenter: ``person`` (MediaPipe selfie weights, offline after one fetch), ``deeplabv3`` (needs
            torchvision weights or a file), ``object`` (U²-Net-p, fetched on first use;
            GrabCut when it cannot be had) or ``combined`` (object plus the person segmenter's attached regions).
        method: a classical method name or ``dlmng`` / ``ssrn``; ``None`` → :func:`default_method`.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps`` (learned stages only).
        fast: classical methods solve on the unknown band's crop / reduced scale (see ``classical``).
        weights: optional DLMN-G checkpoint file (else the bundled one); ``ssrn_weights`` likewise.
        band: automatic trimap's unknown band: ``fixed`` (``core.trimap``) or ``adaptive``
            (``core.adaptive_band``: wide on hair and where the mask is unsure); ``erode`` / ``dilate`` override
            either with fixed radii.
        fill_holes: unknown regions of the automatic trimap enclosed by foreground become foreground unless the
            image shows background there (``core.enclosed``); where it does, a learned method's alpha is
            checked against closed-form's.
        classical_in_child: the classical methods run in child processes (``classical.child_pool``), so that
            their solvers never hold this process's GIL (the window).

    With no ``method`` the pipeline is in automatic mode: :meth:`method_for` picks per image.
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
        band: str = "fixed",
        fill_holes: bool = True,
        classical_in_child: bool = False,
    ) -> None:
        if segmenter not in SEGMENTER_NAMES:
            raise MethodError(f"Unknown segmenter '{segmenter}'; choose one of {', '.join(SEGMENTER_NAMES)}.")
        if band not in BANDS:
            raise MethodError(f"Unknown trimap band '{band}'; choose one of {', '.join(BANDS)}.")
        self.segmenter_name = segmenter
        self.band = band
        self.fill_holes = fill_holes
        self.classical_in_child = classical_in_child  # classical methods in child processes (classical.child_pool)
        self.automatic = method is None  # the method is chosen per image (method_for)
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
        self._cache_lock = threading.Lock()
        self.fallback_warning: Optional[str] = None

    # -- stages ---------------------------------------------------------------------------------------

    def _get_segmenter(self, name: str):
        with self._cache_lock:
            if name not in self._segmenters:
                from matting_studio.engine.segmentation import get_segmenter

                options = self.segmenter_options if name == self.segmenter_name else {}
                self._segmenters[name] = get_segmenter(name, device=self.device, **options)
            return self._segmenters[name]

    def segment(
        self, image: np.ndarray, *, progress: Optional[ProgressFn] = None, cancel: Optional[CancelToken] = None
    ) -> np.ndarray:
        """Soft segmentation of the subject: ``(H, W, 3)`` → ``(H, W)`` float32 in [0, 1].

        A DeepLabV3 backend without weights falls back to the person segmenter (see ``fallback_warning``).
        """
        name = self.segmenter_name
        try:
            segmenter = self._get_segmenter(name)
        except WeightsError as exc:
            if name != "deeplabv3":
                raise
            self.fallback_warning = f"{exc} Using the person segmenter instead."
            name = "person"
            segmenter = self._get_segmenter(name)
        return segmenter.segment(image, progress=progress, cancel=cancel)

    def segmenter_warning(self) -> Optional[str]:
        """What the chosen segmenter says about itself (e.g. object mode fell back to GrabCut), or None."""
        segmenter = self._segmenters.get(self.segmenter_name)
        return getattr(segmenter, "warning", None) or None

    def make_trimap(
        self,
        soft_mask: np.ndarray,
        *,
        erode: Optional[int] = None,
        dilate: Optional[int] = None,
        image: Optional[np.ndarray] = None,
    ) -> np.ndarray:
        """Automatic trimap from the soft mask by erosion / dilation (radii in px; default relative to size).

        With ``image``: the adaptive band (when chosen and no radius is given) and enclosed holes filled."""
        return self._auto_trimap(soft_mask, erode=erode, dilate=dilate, image=image)[0]

    def _auto_trimap(self, soft_mask, *, erode=None, dilate=None, image=None):
        """``(trimap, enclosed)``; ``enclosed`` is a ``core.enclosed.EnclosedResult`` or ``None``."""
        erode = erode if erode is not None else self.erode
        dilate = dilate if dilate is not None else self.dilate
        if image is not None and self.band == "adaptive" and erode is None and dilate is None:
            from matting_studio.core.adaptive_band import adaptive_trimap

            trimap = adaptive_trimap(soft_mask, image)
        else:
            trimap = trimap_ops.trimap_from_mask(soft_mask, erode=erode, dilate=dilate)
        if image is None or not self.fill_holes:
            return trimap, None
        from matting_studio.core.enclosed import fill_enclosed_unknown

        enclosed = fill_enclosed_unknown(trimap, image)
        return enclosed.trimap, enclosed

    def check_against_prior(self, image: np.ndarray, trimap: np.ndarray, alpha: np.ndarray,
                            foreground: np.ndarray, region: np.ndarray) -> int:
        """Where ``region`` (enclosed unknown pixels the image calls background) has the learned alpha more than
        ``PRIOR_MARGIN`` below closed-form's on the same trimap, take closed-form's alpha (and the image as
        foreground colour). Edits ``alpha`` / ``foreground`` in place; returns the number of pixels changed."""
        import cv2

        changed = 0
        count, labels, stats, _ = cv2.connectedComponentsWithStats(region.astype(np.uint8), connectivity=8)
        h, w = trimap.shape
        for k in range(1, count):
            x, y, bw, bh = stats[k, :4]
            y0, y1 = max(0, y - PRIOR_CONTEXT), min(h, y + bh + PRIOR_CONTEXT)
            x0, x1 = max(0, x - PRIOR_CONTEXT), min(w, x + bw + PRIOR_CONTEXT)
            crop_tri = trimap[y0:y1, x0:x1]
            if not (crop_tri == trimap_ops.FOREGROUND).any():
                continue
            prior = classical.run_method("cf", image[y0:y1, x0:x1], crop_tri, fast=True)
            worse = (labels[y0:y1, x0:x1] == k) & (alpha[y0:y1, x0:x1] < prior - PRIOR_MARGIN)
            alpha[y0:y1, x0:x1][worse] = prior[worse]
            foreground[y0:y1, x0:x1][worse] = image[y0:y1, x0:x1][worse]
            changed += int(worse.sum())
        return changed

    def method_for(self, image: np.ndarray, *, trimap_given: bool = False) -> str:
        """The method :meth:`run` mattes ``image`` ``(H, W, 3)`` with: :attr:`method`, except that in automatic mode
        a black-and-white or toned photo (``core.monochrome``) matted with a given trimap takes
        :data:`MONOCHROME_METHOD` instead of a learned method. The learned matting mixes colour cues, which such a
        photo does not have: on black-and-white copies of the 20 ``alphamatting_dev`` images closed-form (fast) had
        mean SAD 10.0 / 14.0 (Trimap1 / Trimap2) against DLMN-G's 14.0 / 20.9, better on 19 of 20 with both. Its own
        segmentation's trimap stays with the learned matting: there the two were level (whole-image SAD 63.9 against
        63.7 with the combined segmenter), the error being the segmentation's (``models/dlmng-lite.md``)."""
        if self.automatic and trimap_given and self.method in LEARNED_METHODS:
            from matting_studio.core.monochrome import is_monochrome

            if is_monochrome(image):
                return MONOCHROME_METHOD
        return self.method

    def _learned_models(self):
        with self._cache_lock:
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
        timings: Optional[dict] = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Alpha ``(H, W)`` and foreground ``(H, W, 3)`` for ``image`` given a trimap (and the soft mask).
        The learned methods add their ``prior`` and ``networks`` stage seconds to ``timings``.

        A trimap without an unknown region (a fully confident mask) is its own alpha; nothing is solved.
        ``motion`` ``(4, H, W)``: the learned methods' motion cues (``core.motion``); None → the image repeated.
        """
        method = method or self.method
        trimap = trimap_ops.validate_trimap(trimap, image.shape, allow_fully_known=True)
        if trimap_ops.is_fully_known(trimap):
            report(progress, 1.0, "Done (the trimap has no unknown region)")
            return trimap, np.array(image[..., :3], dtype=np.float32)
        if method in LEARNED_METHODS:
            if soft_mask is None:  # a user / benchmark trimap is the only guidance (as DLMN-G was trained)
                soft_mask = trimap
            return self._learned_models().predict(
                image, soft_mask, trimap, refine=(method == "ssrn"), motion=motion, progress=progress, cancel=cancel,
                timings=timings,
            )
        if self.classical_in_child:
            from matting_studio.classical.child_pool import shared_pool

            return shared_pool().matte(method, image, trimap, fast=self.fast, progress=progress, cancel=cancel)
        return classical.matte(method, image, trimap, fast=self.fast, progress=progress, cancel=cancel)

    # -- whole pipeline -------------------------------------------------------------------------------

    def run(
        self,
        image: np.ndarray,
        *,
        trimap: Optional[np.ndarray] = None,
        soft_mask: Optional[np.ndarray] = None,
        motion: Optional[np.ndarray] = None,
        method: Optional[str] = None,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ) -> PipelineResult:
        """Run every stage. With ``trimap`` the segmentation is skipped (the trimap is the guidance).
        ``method``: the matting method for this run; None → :meth:`method_for` the image.

        When the segmentation finds no subject (no pixel of the soft mask, or then of the alpha, reaches
        ``MASK_THRESHOLD``) the result has ``subject_found=False`` and a warning; its alpha is all 0 when nothing
        was solved.

        ``motion`` ``(4, H, W)``: motion cues from the frame's neighbours (video, burst); None → one photo.
        """
        warnings: list[str] = []
        timings: dict[str, float] = {}
        segmenter = None
        method = method or self.method_for(image, trimap_given=trimap is not None)
        if method != self.method and method == MONOCHROME_METHOD and self.automatic:
            warnings.append(MONOCHROME_NOTE)
        if trimap is None:
            if soft_mask is None:
                report(progress, 0.0, "Segmenting the subject")
                t0 = time.perf_counter()
                soft_mask = self.segment(image, progress=sub_progress(progress, 0.0, 0.3), cancel=cancel)
                timings["segmentation"] = time.perf_counter() - t0
                if self.fallback_warning:
                    warnings.append(self.fallback_warning)
                if self.segmenter_warning():
                    warnings.append(self.segmenter_warning())
            segmenter = self.segmenter_name
            check_cancel(cancel)
            if not trimap_ops.has_subject(soft_mask):
                report(progress, 1.0, NO_SUBJECT)
                empty = np.zeros(image.shape[:2], np.float32)
                return PipelineResult(image=image, soft_mask=soft_mask, trimap=empty, alpha=empty.copy(),
                                      foreground=np.array(image[..., :3], dtype=np.float32), method=method,
                                      segmenter=segmenter, timings=timings, warnings=warnings + [NO_SUBJECT],
                                      subject_found=False)
            t0 = time.perf_counter()
            trimap, enclosed = self._auto_trimap(soft_mask, image=image)
            timings["trimap"] = time.perf_counter() - t0
        else:
            trimap, enclosed = trimap_ops.validate_trimap(trimap, image.shape), None
        check_cancel(cancel)
        report(progress, 0.35, f"Matting ({method})")
        t0 = time.perf_counter()
        alpha, foreground = self.matte(
            image, trimap, method=method, soft_mask=soft_mask, motion=motion,
            progress=sub_progress(progress, 0.35, 1.0), cancel=cancel, timings=timings,
        )
        timings["matting"] = time.perf_counter() - t0
        if enclosed is not None and method in LEARNED_METHODS and enclosed.kept.any():
            t0 = time.perf_counter()
            alpha, foreground = alpha.copy(), foreground.copy()
            self.check_against_prior(image, trimap, alpha, foreground, enclosed.kept)
            timings["prior check"] = time.perf_counter() - t0
        subject_found = segmenter is None or trimap_ops.has_subject(alpha)
        if not subject_found:
            warnings.append(NO_SUBJECT)
        report(progress, 1.0, "Done")
        return PipelineResult(
            image=image,
            soft_mask=soft_mask,
            trimap=trimap,
            alpha=alpha,
            foreground=foreground,
            method=method,
            segmenter=segmenter,
            timings=timings,
            warnings=warnings,
            subject_found=subject_found,
        )
