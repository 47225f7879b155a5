"""One image's matting session: its state, its stages, its undo history, and the events it emits.

State: the image (``(H,W,3)`` float32 in [0, 1]), an optional ground-truth alpha, the soft mask, the trimap
(a given one, or the band's automatic one, plus the user's strokes), the chosen main method, one
:class:`MethodResult` per method, and the main result after the edge adjustment (:attr:`final`: what the
composite and every export use). The stages run through ``stages`` (an ``engine.pipeline.Pipeline``, or
anything with its ``segment`` / ``make_trimap`` / ``matte`` methods and ``segmenter_name`` / ``method``)
on ``runner`` (see :mod:`matting_studio.session.runner`); everything the session learns is announced as a
:class:`SessionEvent` on ``events``.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Optional, Sequence

import numpy as np

from matting_studio.core import trimap as trimap_ops
from matting_studio.core.alpha_adjust import EdgeAdjust, adjust_alpha
from matting_studio.core.compositing import check_decontamination, decontaminate
from matting_studio.core.errors import MattingError, TrimapError
from matting_studio.session.compositing import CompositeOptions, render_composite
from matting_studio.session.events import EventEmitter, SessionEvent
from matting_studio.session.history import Band, Edit, EditHistory
from matting_studio.session.results import MethodResult
from matting_studio.session.runner import ImmediateRunner, Runner

SOFT, TRIMAP, EDGE, COMPOSITE = "soft", "trimap", "edge", "composite"  # job keys besides the method names
REFINE = "refine"  # the key of a "trimap" event whose change the session re-solves itself (a refine stroke)
REFINE_CONTEXT = 48  # px of context around a refine stroke for its local solve
REFINE_KEEP = 16  # px at the local solve's border (inside the image) whose alpha is not pasted back
STROKE_VALUES = (trimap_ops.BACKGROUND, trimap_ops.UNKNOWN, trimap_ops.FOREGROUND)


def _segment_job(stages, image, *, progress, cancel) -> np.ndarray:
    return stages.segment(image, progress=progress, cancel=cancel)


def _trimap_job(stages, soft_mask, band: Band, image, *, progress, cancel) -> tuple[Band, np.ndarray]:
    """The automatic trimap; given the image, the pipeline also fills enclosed holes (``core.enclosed``)."""
    return band, stages.make_trimap(soft_mask, erode=band.erode, dilate=band.dilate, image=image)


def _matte_job(stages, image, trimap, method: str, soft_mask, gt_alpha, *, progress, cancel) -> MethodResult:
    t0 = time.perf_counter()
    alpha, fg = stages.matte(image, trimap, method=method, soft_mask=soft_mask, progress=progress, cancel=cancel)
    seconds = time.perf_counter() - t0
    return MethodResult(method, alpha, fg, seconds, _metrics(alpha, gt_alpha, trimap),
                        tuple(getattr(stages, "warnings", ()) or ()))


def _metrics(alpha, gt_alpha, trimap) -> dict[str, float]:
    """SAD / MSE / Grad / Conn against the ground truth, or {} without one (or of another size)."""
    if gt_alpha is None or gt_alpha.shape != alpha.shape:
        return {}
    from matting_studio.core.metrics import all_metrics

    return {k: float(v) for k, v in all_metrics(alpha, gt_alpha, trimap).items()}


def _refine_job(stages, image, trimap, method: str, soft_mask, gt_alpha, previous: MethodResult, box, *,
                progress, cancel) -> MethodResult:
    """``previous`` with the region ``box`` ``(y0, y1, x0, x1)`` solved again on the current trimap: the crop is
    matted on its own, and its unknown pixels are pasted back, except a ``REFINE_KEEP`` border inside the image."""
    y0, y1, x0, x1 = box
    crop = (slice(y0, y1), slice(x0, x1))
    t0 = time.perf_counter()
    sub = trimap[crop]
    alpha, fg = previous.alpha.copy(), previous.foreground.copy()
    if (sub == trimap_ops.UNKNOWN).any() and (sub != trimap_ops.UNKNOWN).any():
        a, f = stages.matte(image[crop], sub, method=method, soft_mask=None if soft_mask is None else soft_mask[crop],
                            progress=progress, cancel=cancel)
        h, w = trimap.shape
        keep = np.zeros(sub.shape, bool)
        ky0, ky1 = (REFINE_KEEP if y0 > 0 else 0), sub.shape[0] - (REFINE_KEEP if y1 < h else 0)
        kx0, kx1 = (REFINE_KEEP if x0 > 0 else 0), sub.shape[1] - (REFINE_KEEP if x1 < w else 0)
        keep[ky0:ky1, kx0:kx1] = True
        paste = keep & (sub == trimap_ops.UNKNOWN)
        alpha[crop][paste], fg[crop][paste] = a[paste], f[paste]
    known = trimap != trimap_ops.UNKNOWN
    alpha[known] = trimap[known]  # strokes painted since stay exact
    return MethodResult(method, alpha, fg, time.perf_counter() - t0, _metrics(alpha, gt_alpha, trimap),
                        previous.warnings)


def _finish_job(result: MethodResult, image, finish: tuple[EdgeAdjust, float], *, progress,
                cancel) -> tuple[tuple[EdgeAdjust, float], MethodResult]:
    """The main result as exported: ``finish`` = (edge adjustment of the alpha, decontamination amount of the
    foreground colours)."""
    edge, amount = finish
    return finish, dataclasses.replace(result, alpha=adjust_alpha(result.alpha, edge),
                                       foreground=decontaminate(image, result.foreground, amount))


def _composite_job(image, result: MethodResult, options: CompositeOptions, *, progress, cancel) -> np.ndarray:
    return render_composite(image, result.alpha, result.foreground, options)


class MattingSession:
    """A whole matting session for one image, without Qt.

    Args:
        stages: the pipeline the stages run through.
        image: ``(H,W,3)`` float32 in [0, 1].
        gt_alpha: ``(H,W)`` ground truth (metrics are computed against it), or None.
        trimap: a given trimap (a file, a dataset's); then nothing is segmented and the band is not used.
        runner: where jobs run; :class:`ImmediateRunner` by default (synchronous).
        main_method: the method whose result is "the" alpha; ``stages.method`` by default.
        comparison: further methods :meth:`run_methods` runs.
    """

    def __init__(self, stages, image: np.ndarray, *, gt_alpha: Optional[np.ndarray] = None,
                 trimap: Optional[np.ndarray] = None, runner: Optional[Runner] = None,
                 main_method: Optional[str] = None, comparison: Sequence[str] = (),
                 preview: CompositeOptions = CompositeOptions()) -> None:
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise MattingError(f"A session needs an RGB image (H, W, 3), not an array of shape {image.shape}.")
        self.stages = stages
        self.runner: Runner = runner or ImmediateRunner()
        self.events = EventEmitter()
        self.image = image
        self.gt_alpha = self._checked_gt(gt_alpha)
        self.soft_mask: Optional[np.ndarray] = None
        self.given_trimap = None if trimap is None else trimap_ops.validate_trimap(trimap, image.shape)
        self.auto_trimap: Optional[np.ndarray] = None  # the band's trimap, before strokes
        self.trimap: Optional[np.ndarray] = None  # what the methods solve: base + strokes
        band = trimap_ops.default_band(image.shape)
        self.history = EditHistory()
        self.history.reset(Edit((), Band(band, band)))
        self.main_method = main_method or stages.method
        self.comparison: list[str] = list(comparison)
        self.preview = preview  # options of the composite preview
        self.results: dict[str, MethodResult] = {}
        self.final: Optional[MethodResult] = None  # the main result with the edge adjustment applied
        self.composite_preview: Optional[np.ndarray] = None
        self.running: set[str] = set()  # job keys started and not yet reported
        self.errors: dict[str, str] = {}  # key -> the last failure's message

    # -- read-only views ------------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[:2]

    @property
    def strokes(self):
        return self.history.current.strokes

    @property
    def band(self) -> Band:
        return self.history.current.band

    @property
    def edge(self) -> EdgeAdjust:
        return self.history.current.edge

    @property
    def decontamination(self) -> float:
        return self.history.current.decontamination

    @property
    def base_trimap(self) -> Optional[np.ndarray]:
        """The trimap the strokes are painted over (given, or the band's), or None before segmentation."""
        return self.given_trimap if self.given_trimap is not None else self.auto_trimap

    def main_result(self) -> Optional[MethodResult]:
        return self.results.get(self.main_method)

    def wanted_methods(self) -> list[str]:
        """The main method first, then the comparison methods."""
        return [self.main_method] + [m for m in self.comparison if m != self.main_method]

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Compute what is missing: the soft mask (unless a trimap is given), the trimap, the results."""
        if self.base_trimap is not None:
            if self.trimap is None:
                self._compose()
            missing = [m for m in self.wanted_methods() if m not in self.results and m not in self.running]
            if missing:
                self.run_methods(missing)
            elif self.final is None and EDGE not in self.running:
                self._start_edge()
        elif self.soft_mask is None:
            if SOFT not in self.running:
                self._run(SOFT, _segment_job, self.stages, self.image, finished=self._segmented)
        elif TRIMAP not in self.running:
            self._start_trimap()

    def suspend(self) -> None:
        """Cancel every running job quietly (the user switched to another image); :meth:`start` resumes."""
        for key in list(self.running):
            self.runner.discard(key)
        self.running.clear()

    # -- inputs ---------------------------------------------------------------------------------------

    def _checked_gt(self, gt_alpha):
        if gt_alpha is not None and np.asarray(gt_alpha).shape != self.image.shape[:2]:
            raise MattingError("The ground-truth alpha must have the size of the image.")
        return gt_alpha

    def restore(self, history: EditHistory, main_method: str) -> None:
        """Continue from saved edits (``session.persistence``), before :meth:`start`: the history as it was
        (strokes, band, edge, undo and redo) and the main method."""
        if self.results or self.running:
            raise MattingError("Saved edits can only be restored into a session that has not started.")
        if history.current.band is None:
            history.entries[history.index].edit = dataclasses.replace(history.current, band=self.band)
        self.history = history
        self.main_method = main_method
        self._history_changed()

    def set_ground_truth(self, gt_alpha: Optional[np.ndarray]) -> None:
        """Use ``gt_alpha`` for the metrics; the methods are re-run (their metrics change)."""
        self.gt_alpha = self._checked_gt(gt_alpha)
        self.results.clear()
        self.final = None

    def set_trimap(self, trimap: np.ndarray) -> None:
        """Solve on a given trimap from now on (strokes and history start afresh)."""
        self.given_trimap = trimap_ops.validate_trimap(trimap, self.image.shape)
        self.history.reset(Edit((), self.band, self.edge, self.decontamination))
        self._compose()
        self._history_changed()

    def set_main_method(self, method: str) -> None:
        if method == self.main_method:
            return
        self.main_method = method
        self.composite_preview = self.final = None
        self.events.emit(SessionEvent("method", method))
        if method in self.results:
            self._start_edge()
        elif self.trimap is not None:
            self.run_methods([method])

    def set_comparison(self, methods: Sequence[str]) -> None:
        self.comparison = list(methods)

    # -- edits (undoable) -----------------------------------------------------------------------------

    def set_band(self, band: Band) -> None:
        """New automatic-trimap radii; the trimap is recomputed as a job (ignored with a given trimap)."""
        if band.erode < 0 or band.dilate < 0:
            raise TrimapError("Erosion and dilation radii must not be negative.")
        if band == self.band:
            return
        self.history.push(dataclasses.replace(self.history.current, band=band), f"band {band.erode}/{band.dilate} px")
        self._history_changed()
        self._start_trimap()

    def add_stroke(self, stroke: trimap_ops.Stroke) -> None:
        """Paint one brush stroke (image pixel coordinates) over the trimap. A refine-edge stroke paints unknown,
        and every method that has a result solves only the stroke's region again (``_refine_job``)."""
        if stroke.value not in STROKE_VALUES:
            raise TrimapError(f"A stroke paints 0, 0.5 or 1, not {stroke.value}.")
        if stroke.refine and stroke.value != trimap_ops.UNKNOWN:
            raise TrimapError("A refine-edge stroke paints the unknown region.")
        label = "refine-edge stroke" if stroke.refine else "brush stroke"
        self.history.push(dataclasses.replace(self.history.current, strokes=self.strokes + (stroke,)), label)
        self._history_changed()
        refine = stroke.refine and self.base_trimap is not None and all(
            m in self.results and m not in self.running for m in self.wanted_methods())
        self._compose(REFINE if refine else TRIMAP)
        if refine:
            self._refine(stroke)

    def _refine(self, stroke: trimap_ops.Stroke) -> None:
        pts = np.asarray(stroke.points, np.float64).reshape(-1, 2)
        pad = stroke.radius + REFINE_CONTEXT
        h, w = self.shape
        x0, y0 = (max(0, int(np.floor(v - pad))) for v in pts.min(axis=0))
        x1, y1 = (min(n, int(np.ceil(v + pad)) + 1) for v, n in zip(pts.max(axis=0), (w, h)))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return
        for method in self.wanted_methods():
            self._run(method, _refine_job, self.stages, self.image, self.trimap, method, self.soft_mask,
                      self.gt_alpha, self.results[method], (y0, y1, x0, x1), finished=self._method_done)

    def set_edge(self, edge: EdgeAdjust) -> None:
        """Smooth / Feather / Contrast / Shift Edge of the main method's alpha (``core.alpha_adjust``), applied
        as a job; the methods are not re-run."""
        if edge == self.edge:
            return
        self.history.push(dataclasses.replace(self.history.current, edge=edge), "edge adjustment")
        self._history_changed()
        self._start_edge()

    def set_decontamination(self, amount: float) -> None:
        """The colour decontamination amount in [0, 1] of the main result's foreground (an undoable edit, applied
        with the edge adjustment to make :attr:`final`; the methods are not re-run)."""
        amount = check_decontamination(amount)
        if amount == self.decontamination:
            return
        self.history.push(dataclasses.replace(self.history.current, decontamination=amount), "decontamination")
        self._history_changed()
        self._start_edge()

    def undo(self) -> bool:
        return self._step(self.history.undo)

    def redo(self) -> bool:
        return self._step(self.history.redo)

    def _step(self, move) -> bool:
        before = self.history.current
        if not move():
            return False
        self._history_changed()
        now = self.history.current
        if now.finish != before.finish:
            self._start_edge()
        if (now.strokes, now.band) == (before.strokes, before.band):
            return True
        if now.band != before.band and self.given_trimap is None:
            self._start_trimap()
        else:
            self._compose()
        return True

    def _history_changed(self) -> None:
        self.events.emit(SessionEvent("history"))

    # -- stages ---------------------------------------------------------------------------------------

    def _run(self, key: str, fn, *args, finished) -> None:
        self.running.add(key)
        self.errors.pop(key, None)
        self.events.emit(SessionEvent("started", key))

        def done(result) -> None:
            self.running.discard(key)
            finished(result)

        def failed(message: str) -> None:
            self.running.discard(key)
            self.errors[key] = message
            self.events.emit(SessionEvent("failed", key, message=message))

        def cancelled() -> None:
            self.running.discard(key)
            self.events.emit(SessionEvent("cancelled", key))

        def progress(fraction: float, message: str) -> None:
            self.events.emit(SessionEvent("progress", key, fraction, message))

        self.runner.start(key, fn, *args, progress=progress, finished=done, error=failed, cancelled=cancelled)

    def _segmented(self, mask: np.ndarray) -> None:
        self.soft_mask = mask
        self.events.emit(SessionEvent("soft_mask", SOFT))
        self._start_trimap()

    def _start_trimap(self) -> None:
        if self.soft_mask is None or self.given_trimap is not None:
            return
        self._run(TRIMAP, _trimap_job, self.stages, self.soft_mask, self.band, self.image, finished=self._trimap_done)

    def _trimap_done(self, result: tuple[Band, np.ndarray]) -> None:
        band, trimap = result
        if band != self.band:  # the user moved on while it ran (an undo, a faster runner): compute again
            self._start_trimap()
            return
        self.auto_trimap = trimap
        self._compose()

    def _compose(self, key: str = TRIMAP) -> None:
        """The trimap from its base and the strokes; the event's ``key`` is :data:`REFINE` when the session
        re-solves the change itself (else the app re-runs the methods)."""
        base = self.base_trimap
        if base is None:
            return
        self.trimap = trimap_ops.trimap_from_strokes(self.shape, self.strokes, base=base)
        self.events.emit(SessionEvent(TRIMAP, key))

    def run_methods(self, methods: Optional[Sequence[str]] = None) -> list[str]:
        """(Re)run ``methods`` (default :meth:`wanted_methods`) on the current trimap; returns those started.

        A trimap without known pixels is reported as a ``failed`` event and nothing runs; one without unknown
        pixels (a fully confident mask, or everything painted) is its own alpha, as in the pipeline."""
        if self.trimap is None:
            return []
        methods = list(self.wanted_methods() if methods is None else methods)
        try:
            if not trimap_ops.is_fully_known(self.trimap):
                trimap_ops.check_solvable(self.trimap)  # composed from a validated base: only this can go wrong
        except TrimapError as exc:
            for m in [m for m in self.running if m in methods]:
                self.runner.discard(m)
                self.running.discard(m)
                self.events.emit(SessionEvent("cancelled", m))
            self.events.emit(SessionEvent("failed", TRIMAP, message=str(exc)))
            return []
        for method in methods:
            self._run(method, _matte_job, self.stages, self.image, self.trimap, method, self.soft_mask,
                      self.gt_alpha, finished=self._method_done)
        return methods

    def cancel(self, key: str) -> bool:
        """User cancel of one running job; it reports a ``cancelled`` event."""
        return self.runner.cancel(key)

    def _method_done(self, result: MethodResult) -> None:
        self.results[result.method] = result
        self.events.emit(SessionEvent("result", result.method))
        if result.method == self.main_method:
            self._start_edge()

    # -- edge adjustment of the main result -----------------------------------------------------------

    def _start_edge(self) -> None:
        result = self.main_result()
        if result is None:
            return
        finish = self.history.current.finish
        if self.history.current.finish_is_identity:
            self._edge_done((finish, result), source=result)
            return
        self._run(EDGE, _finish_job, result, self.image, finish,
                  finished=lambda done: self._edge_done(done, source=result))

    def _edge_done(self, done: tuple[tuple[EdgeAdjust, float], MethodResult], *, source: MethodResult) -> None:
        finish, final = done
        if finish != self.history.current.finish or source is not self.main_result():  # superseded
            self._start_edge()
            return
        self.final = final
        self.events.emit(SessionEvent("final", EDGE))
        self._start_composite(final)

    # -- composite preview ----------------------------------------------------------------------------

    def set_preview(self, options: CompositeOptions) -> None:
        self.preview = options
        if self.final is not None:
            self._start_composite(self.final)

    def _start_composite(self, result: MethodResult) -> None:
        self._run(COMPOSITE, _composite_job, self.image, result, self.preview, finished=self._composited)

    def _composited(self, composite: np.ndarray) -> None:
        self.composite_preview = composite
        self.events.emit(SessionEvent("composite", COMPOSITE))
