"""The matting view: side-by-side panes (input, soft segmentation, trimap, alpha, foreground, composite and
every comparison method) with shared zoom/pan. It renders the current :class:`MattingSession` (one per
filmstrip item) and forwards the user's edits to it; the session owns the state and runs the stages."""

from __future__ import annotations

from typing import Hashable, Optional

import numpy as np
from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QRadioButton,
    QSlider, QSpinBox, QVBoxLayout, QWidget,
)

from matting_studio.app.brush import VALUES as BRUSH_VALUES
from matting_studio.app.brush import BrushTool
from matting_studio.app.image_pane import ImagePane
from matting_studio.app.view_state import ViewState
from matting_studio.core import registry
from matting_studio.core.alpha_adjust import EdgeAdjust
from matting_studio.core.errors import MattingError
from matting_studio.core.memory import release_freed_memory
from matting_studio.core import trimap as trimap_ops
from matting_studio.app.workers import Jobs, SessionRunner
from matting_studio.session import Band, CompositeOptions, MattingSession, SessionEvent
from matting_studio.session.matting_session import COMPOSITE, EDGE, REFINE, SOFT, TRIMAP
from matting_studio.session.compositing import CutoutView
from matting_studio.session.persistence import SavedSession

STAGE_PANES = [("input", "Input"), ("soft", "Soft segmentation"), ("trimap", "Trimap"), ("alpha", "Alpha"),
               ("foreground", "Foreground"), ("composite", "Composite")]
METHOD_TITLES = registry.METHOD_LABELS
DEFAULT_VISIBLE = {"input", "soft", "trimap", "alpha", "composite", "ssrn", *registry.COMPARED_BY_DEFAULT}  # ssrn: when installed
BRUSH_PANES = ("input", "trimap", "composite")  # the panes the brush paints on
RERUN_MS, BAND_MS, EDGE_MS = 400, 300, 150  # debounce: methods after a trimap change; the band, the edge
EDGE_CONTROLS = (  # (EdgeAdjust field, label, minimum, maximum, step, suffix, tooltip)
    ("smooth", "smooth", 0.0, 50.0, 0.5, " px", "Smooth: fill notches and remove spikes narrower than this"),
    ("feather", "feather", 0.0, 50.0, 0.5, " px", "Feather: blur the edge of the alpha"),
    ("contrast", "contrast", 0.0, 95.0, 5.0, " %", "Contrast: steepen soft edges (100 % would be a hard cut)"),
    ("shift", "shift edge", -50.0, 50.0, 0.5, " px", "Shift Edge: move the edge outwards (+) or inwards (−)"),
)
MAX_SESSIONS = 4  # sessions kept in memory with their results (a 1080p one holds ~200 MB); an older image comes
# back from its file with its edits from the SessionStore (session.persistence), its results computed again


def method_title(method: str) -> str:
    return METHOD_TITLES.get(method, method)


class MattingView(QWidget):
    """Renders one session at a time. Signals: ``status(str)``, ``error(str)``, ``result_ready(str)``
    (a method's result is in ``session.results``), ``final_ready()`` (the edge-adjusted main result is in
    ``session.final``), ``history_changed()``, ``session_changed()``."""

    status = Signal(str)
    error = Signal(str)
    result_ready = Signal(str)
    final_ready = Signal()
    history_changed = Signal()
    session_changed = Signal()

    def __init__(self, pipeline, methods: list[str], parent=None) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.methods = methods
        self.default_method = pipeline.method
        self.view = ViewState()
        # one current worker per key; superseded workers are cancelled and silenced. Methods have their own
        # pool, so a band change or the composite never waits behind a slow method.
        self.jobs = Jobs(self, max_threads=2)
        self.stage_jobs = Jobs(self, max_threads=1)
        self.pool = self.jobs.pool
        self.workers = self.jobs.current  # read-only view
        self.runner = _SplitRunner(SessionRunner(self.jobs), SessionRunner(self.stage_jobs))
        self.session: Optional[MattingSession] = None
        self.sessions: dict[Hashable, MattingSession] = {}  # one per filmstrip item, oldest first
        self.background = CompositeOptions().color
        self.brush = BrushTool(self._stroke, self)
        self.panes: dict[str, ImagePane] = {}
        for key, title in STAGE_PANES + [(m, method_title(m)) for m in methods]:
            pane = ImagePane(key, title, self.view, self)
            pane.cancel_requested.connect(self.cancel)
            self.panes[key] = pane
        for key in BRUSH_PANES:
            self.panes[key].canvas.set_brush(self.brush)
        self.visible = {k for k in DEFAULT_VISIBLE if k in self.panes}
        self._rerun = QTimer(self, singleShot=True, interval=RERUN_MS)
        self._rerun.timeout.connect(self.run_methods)
        self._band_timer = QTimer(self, singleShot=True, interval=BAND_MS)
        self._band_timer.timeout.connect(self._apply_band)
        self._edge_timer = QTimer(self, singleShot=True, interval=EDGE_MS)
        self._edge_timer.timeout.connect(self._apply_edge)
        self._build_controls()
        self.grid = QGridLayout()
        self.grid.setSpacing(4)
        layout = QVBoxLayout(self)
        layout.addLayout(self.controls)
        layout.addLayout(self.edge_controls)
        layout.addLayout(self.grid, 1)
        self.relayout()

    # -- controls --------------------------------------------------------------------------------------

    def _build_controls(self) -> None:
        self.controls = QHBoxLayout()
        self.brush_on = QCheckBox("Brush")
        self.brush_on.toggled.connect(self.brush.set_enabled)
        self.brush_group = QButtonGroup(self)
        self.brush_buttons: dict[float, QRadioButton] = {}
        for value, text in BRUSH_VALUES:
            button = QRadioButton(text)
            button.toggled.connect(lambda on, v=value: on and self.brush.value != v and self.brush.set_value(v))
            self.brush_group.addButton(button)
            self.brush_buttons[value] = button
        self.brush_buttons[self.brush.value].setChecked(True)
        self.brush_size = QSpinBox(minimum=2, maximum=400, value=self.brush.size, suffix=" px")
        self.brush_size.setToolTip("Brush diameter in screen pixels at the current zoom")
        self.brush_size.valueChanged.connect(lambda v: v != self.brush.size and self.brush.set_size(v))
        self.brush.changed.connect(self._brush_changed)
        self.overlay = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=50)
        self.overlay.setToolTip("Opacity of the trimap drawn over the input photo")
        self.overlay.setMaximumWidth(90)
        self.overlay.valueChanged.connect(self._overlay_changed)
        self.erode = QSpinBox(minimum=0, maximum=200, suffix=" px")
        self.dilate = QSpinBox(minimum=0, maximum=200, suffix=" px")
        self.erode.setToolTip("Automatic trimap: erosion radius (known foreground)")
        self.dilate.setToolTip("Automatic trimap: dilation radius (known background)")
        for spin in (self.erode, self.dilate):
            spin.setKeyboardTracking(False)  # typing "90" is one change, not 9 then 90
            spin.valueChanged.connect(self._band_timer.start)
        self.method_box = QComboBox()
        self.method_box.setToolTip("The main method: its result is the alpha, the cut-out and the composite")
        for method in self.methods:
            self.method_box.addItem(method_title(method), method)
        self.method_box.currentIndexChanged.connect(self._method_chosen)
        self.split = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=100)
        self.split.setToolTip("Before/after: input vs composite")
        self.split.valueChanged.connect(self._show_composite)
        self.run_button = QPushButton("Run methods")
        self.run_button.clicked.connect(self.run_methods)
        self.controls.addWidget(self.brush_on)
        for button in self.brush_group.buttons():
            self.controls.addWidget(button)
        for widget in (QLabel("size"), self.brush_size, QLabel("overlay"), self.overlay):
            self.controls.addWidget(widget)
        self.controls.addSpacing(12)
        for widget in (QLabel("erode"), self.erode, QLabel("dilate"), self.dilate):
            self.controls.addWidget(widget)
        self.controls.addSpacing(12)
        self.controls.addWidget(QLabel("method"))
        self.controls.addWidget(self.method_box)
        self.controls.addSpacing(12)
        self.controls.addWidget(QLabel("before/after"))
        self.controls.addWidget(self.split, 1)
        self.controls.addWidget(self.run_button)
        self._show_method(self.default_method)
        self.edge_controls = QHBoxLayout()
        self.edge_controls.addWidget(QLabel("Edge of the alpha:"))
        self.edge_spins: dict[str, QDoubleSpinBox] = {}
        for name, label, lo, hi, step, suffix, tip in EDGE_CONTROLS:
            spin = QDoubleSpinBox(minimum=lo, maximum=hi, singleStep=step, decimals=1, suffix=suffix)
            spin.setToolTip(tip)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._edge_timer.start)
            self.edge_spins[name] = spin
            self.edge_controls.addWidget(QLabel(label))
            self.edge_controls.addWidget(spin)
        self.decontamination = QSpinBox(minimum=0, maximum=100, value=100, suffix=" %")
        self.decontamination.setToolTip("Decontaminate colours: 0 % keeps the photo's colours at soft edges (the "
                                        "old background shows through), 100 % uses the estimated subject colours")
        self.decontamination.setKeyboardTracking(False)
        self.decontamination.valueChanged.connect(self._edge_timer.start)
        self.edge_controls.addWidget(QLabel("decontaminate"))
        self.edge_controls.addWidget(self.decontamination)
        self.cutout_view = QComboBox()
        self.cutout_view.setToolTip("How the cut-out pane shows the result (V cycles)")
        for view in CutoutView:
            self.cutout_view.addItem(view.label, view)
        self.cutout_view.currentIndexChanged.connect(lambda _: self.session is not None and self.session.final
                                                     is not None and self._show_final())
        self.edge_reset = QPushButton("Reset edge")
        self.edge_reset.clicked.connect(lambda: self.session is not None and self.session.set_edge(EdgeAdjust()))
        self.edge_controls.addWidget(self.edge_reset)
        self.edge_controls.addSpacing(12)
        self.edge_controls.addWidget(QLabel("cut-out view"))
        self.edge_controls.addWidget(self.cutout_view)
        self.edge_controls.addStretch(1)

    def set_brush_tooltip(self, text: str) -> None:
        for widget in [self.brush_on, *self.brush_buttons.values()]:
            widget.setToolTip(text)

    def _brush_changed(self) -> None:
        if self.brush_size.value() != self.brush.size:
            self.brush_size.setValue(self.brush.size)
        button = self.brush_buttons[self.brush.value]
        if not button.isChecked():
            button.setChecked(True)
        if self.brush_on.isChecked() != self.brush.enabled:
            self.brush_on.setChecked(self.brush.enabled)

    def _overlay_changed(self) -> None:
        self.panes["input"].canvas.overlay_opacity = self.overlay.value() / 100.0
        self.panes["input"].canvas.update()

    def set_visible_panes(self, keys: set[str]) -> None:
        self.visible = {k for k in keys if k in self.panes}
        self.relayout()
        if self.session is not None:
            self.session.set_comparison(self._comparison())

    def relayout(self) -> None:
        for pane in self.panes.values():
            self.grid.removeWidget(pane)
            pane.setVisible(False)
        keys = [k for k in self.panes if k in self.visible]
        columns = 4 if len(keys) > 6 else 3 if len(keys) > 4 else max(1, len(keys))
        for i, key in enumerate(keys):
            self.grid.addWidget(self.panes[key], i // columns, i % columns)
            self.panes[key].setVisible(True)

    def _comparison(self) -> list[str]:
        return [m for m in self.methods if m in self.visible]

    # -- the session's state, read-only (for the window and tests) -------------------------------------

    image = property(lambda self: self.session.image if self.session else None)
    gt_alpha = property(lambda self: self.session.gt_alpha if self.session else None)
    soft_mask = property(lambda self: self.session.soft_mask if self.session else None)
    trimap = property(lambda self: self.session.trimap if self.session else None)
    results = property(lambda self: self.session.results if self.session else {})
    main_method = property(lambda self: self.session.main_method if self.session else self.default_method)

    def main_result(self):
        """The main method's :class:`MethodResult`, or None."""
        return self.session.main_result() if self.session else None

    def final_result(self):
        """The main result after the edge adjustment (what the composite and exports use), or None."""
        return self.session.final if self.session else None

    # -- sessions --------------------------------------------------------------------------------------

    def new_session(self, image: np.ndarray, gt_alpha=None, trimap=None) -> MattingSession:
        # automatic mode picks per image (a black-and-white photo with a trimap: closed-form; Pipeline.method_for)
        main = (self.pipeline.method_for(image, trimap_given=trimap is not None)
                if self.default_method == self.pipeline.method else self.default_method)
        return MattingSession(self.pipeline, image, gt_alpha=gt_alpha, trimap=trimap, runner=self.runner,
                              main_method=main, comparison=self._comparison(),
                              preview=CompositeOptions(color=self.background))

    def load(self, image: np.ndarray, gt_alpha=None, trimap=None, key: Optional[Hashable] = None,
             saved: Optional[SavedSession] = None) -> MattingSession:
        """Show a new session for ``image`` (kept under ``key`` when given) and start it; ``saved`` edits (an
        earlier run's, ``session.persistence``) are restored first."""
        session = self.new_session(image, gt_alpha, trimap)
        if saved is not None:
            method = saved.main_method if saved.main_method in self.methods else session.main_method
            session.restore(saved.history, method)
        if key is not None:
            self.sessions.pop(key, None)
            self.sessions[key] = session
            while len(self.sessions) > MAX_SESSIONS:
                self.sessions.pop(next(iter(self.sessions)))
            QThreadPool.globalInstance().start(release_freed_memory)  # off the GUI thread (core.memory)
        self.set_session(session)
        return session

    def show_session(self, key: Hashable) -> bool:
        """Show the kept session of ``key`` (its strokes, history and results); False if there is none."""
        session = self.sessions.pop(key, None)
        if session is None:
            return False
        self.sessions[key] = session  # the most recently shown is dropped last
        self.set_session(session)
        return True

    def set_session(self, session: MattingSession) -> None:
        """Render ``session`` and resume its work; the previous one stops its jobs but keeps its state."""
        self._rerun.stop()
        self._band_timer.stop()
        self._edge_timer.stop()
        if self.session is not None:
            self.session.events.disconnect(self._on_event)
            self.session.suspend()
        self.jobs.discard_all()
        self.stage_jobs.discard_all()
        self.session = session
        session.set_comparison(self._comparison())
        session.events.connect(self._on_event)
        self._render_all()
        self.session_changed.emit()
        self.history_changed.emit()
        session.start()
        if self.session.running.intersection(session.wanted_methods()):
            self._rerun.stop()  # start() already runs the methods on the trimap it announced

    def set_pipeline(self, pipeline, method: str) -> None:
        """A new pipeline (e.g. new weights): every kept session uses it, and forgets ``method``'s results."""
        self.pipeline = pipeline
        self.default_method = method
        for session in self.sessions.values():
            session.stages = pipeline
            session.results.pop(method, None)
        if self.session is not None and self.session not in self.sessions.values():
            self.session.stages = pipeline
            self.session.results.pop(method, None)
        self._show_method(method)
        if self.session is not None:
            self.session.set_main_method(method)
            self._render_all()
            self.session.start()

    def cancel_all(self) -> None:
        """Cancel every running worker; their late signals are ignored (a new image or closing)."""
        self._rerun.stop()
        self._band_timer.stop()
        if self.session is not None:
            self.session.suspend()
        self.jobs.discard_all()
        self.stage_jobs.discard_all()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait briefly for the workers to stop (closing the window)."""
        self.cancel_all()
        return self.jobs.shutdown(timeout_ms) and self.stage_jobs.shutdown(timeout_ms)

    # -- rendering -------------------------------------------------------------------------------------

    def _render_all(self) -> None:
        s = self.session
        for pane in self.panes.values():
            pane.set_image(None)
            pane.set_busy(False)
        h, w = s.shape
        self.panes["input"].set_image(s.image, f"{w}×{h}" + (" · ground truth loaded" if s.gt_alpha is not None else ""))
        self.panes["input"].set_overlay(None)
        self.view.fit()
        for spin, value in ((self.erode, s.band.erode), (self.dilate, s.band.dilate)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self._show_edge_settings()
        self._show_method(s.main_method)
        if s.soft_mask is not None:
            self._show_soft()
        if s.trimap is not None:
            self._show_trimap()
        for method in s.results:
            self._show_result(method)
        if s.final is not None:
            self._show_final()
        self._show_composite()
        for key in s.running:
            self._on_event(SessionEvent("started", key))

    def _show_method(self, method: str) -> None:
        index = self.method_box.findData(method)
        if index < 0:
            self.method_box.addItem(method_title(method), method)
            index = self.method_box.count() - 1
        self.method_box.blockSignals(True)
        self.method_box.setCurrentIndex(index)
        self.method_box.blockSignals(False)

    def _show_soft(self) -> None:
        from matting_studio.engine.pipeline import NO_SUBJECT

        found = trimap_ops.has_subject(self.session.soft_mask)
        self.panes["soft"].set_image(self.session.soft_mask,
                                     self.pipeline.segmenter_name + ("" if found else " · no subject found"))
        if not found:  # the methods still run and show the empty alpha
            self.status.emit(NO_SUBJECT)

    def _show_trimap(self) -> None:
        s = self.session
        self.panes["trimap"].set_image(s.trimap, f"{len(s.strokes)} stroke(s)")
        self.panes["input"].set_overlay(s.trimap)

    def _pane_keys(self, key: str) -> list[str]:
        """The panes showing job ``key``: a method's own pane, and the alpha pane for the main method and the
        edge adjustment."""
        keys = [key, "alpha"] if key == self.session.main_method else ["alpha"] if key == EDGE else [key]
        return [k for k in keys if k in self.panes]

    def _show_result(self, method: str) -> None:
        r = self.session.results[method]
        detail = f"{r.seconds:.2f} s" + (f" · {r.metrics_text()}" if r.metrics else "")
        if method in self.panes:  # the alpha and cut-out panes show the main result once edge-adjusted
            self.panes[method].set_busy(False)
            self.panes[method].set_image(r.alpha, detail)

    def _show_final(self) -> None:
        s = self.session
        final = s.final
        detail = f"{method_title(final.method)} · {final.seconds:.2f} s" + (
            f" · {final.metrics_text()}" if final.metrics else "")
        if not s.edge.is_identity:
            detail += " · edge adjusted"
        self.panes["alpha"].set_busy(False)
        self.panes["alpha"].set_image(final.alpha, detail)
        view = self.cutout_view.currentData()
        self.panes["foreground"].set_cutout(final.foreground, final.alpha, f"cut-out · {view.label.lower()}",
                                            view=view, image=s.image)

    def cycle_cutout_view(self) -> None:
        self.cutout_view.setCurrentIndex((self.cutout_view.currentIndex() + 1) % self.cutout_view.count())

    def _show_edge_settings(self) -> None:
        edge = self.session.edge
        for name, spin in self.edge_spins.items():
            value = getattr(edge, name) * (100.0 if name == "contrast" else 1.0)
            if abs(spin.value() - value) > 1e-6:
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)
        self.decontamination.blockSignals(True)
        self.decontamination.setValue(round(self.session.decontamination * 100))
        self.decontamination.blockSignals(False)

    def _apply_edge(self) -> None:
        if self.session is None:
            return
        values = {name: spin.value() / (100.0 if name == "contrast" else 1.0) for name, spin in self.edge_spins.items()}
        amount = self.decontamination.value() / 100.0  # read before set_edge's history event redraws the row
        try:
            self.session.set_edge(EdgeAdjust(**values))
            self.session.set_decontamination(amount)
        except MattingError as exc:
            self.error.emit(str(exc))

    def _show_composite(self) -> None:
        s = self.session
        pane = self.panes["composite"]
        if s is None or s.composite_preview is None:
            return
        split = self.split.value() / 100.0
        if pane.array is not s.composite_preview:
            pane.set_image(s.composite_preview, "on colour")
        before = self.panes["input"].canvas.qimage
        pane.set_before(before if split < 1 else None, split if split < 1 else None)

    def _on_event(self, event: SessionEvent) -> None:
        kind, key = event.kind, event.key
        if kind == "soft_mask":
            self.panes["soft"].set_busy(False)
            self._show_soft()
        elif kind == "trimap":
            self.panes["trimap"].set_busy(False)
            self._show_trimap()
            if key != REFINE:  # a refine stroke's region is re-solved by the session itself
                self._rerun.start()
        elif kind == "history":
            self._show_edge_settings()
            self.history_changed.emit()
        elif kind == "final":
            self._show_final()
            self.final_ready.emit()
        elif kind == "started":
            if key == SOFT:
                self.panes["soft"].set_busy(True, 0, "segmenting…")
                self.status.emit("Segmenting…")
            elif key == TRIMAP:
                self.panes["trimap"].set_busy(True, 0, "computing the band…")
            elif key == EDGE:
                self.panes["alpha"].set_busy(True, 0, "adjusting the edge…")
            elif key != COMPOSITE:
                for k in self._pane_keys(key):
                    self.panes[k].set_busy(True, 0, f"{method_title(key)}…")
        elif kind == "progress":
            panes = ["soft"] if key == SOFT else [] if key in (TRIMAP, COMPOSITE) else self._pane_keys(key)
            for k in panes:
                self.panes[k].set_busy(True, event.fraction, event.message)
        elif kind == "result":
            self._show_result(key)
            r = self.session.results[key]
            self.status.emit(f"{method_title(key)}: {r.seconds:.2f} s")
            self.result_ready.emit(key)
        elif kind == "composite":
            self._show_composite()
        elif kind == "method":
            self._show_method(key)
            self.panes["alpha"].set_image(None)  # until the new main result is edge-adjusted ("final")
        elif kind in ("failed", "cancelled"):
            text = event.message if kind == "failed" else "Cancelled"
            for k in (["soft"] if key == SOFT else ["trimap"] if key == TRIMAP else self._pane_keys(key)):
                self.panes[k].set_busy(False)
                if key != TRIMAP or kind == "cancelled":
                    self.panes[k].set_message(text, detail=text)
            if kind == "failed":
                self.error.emit(event.message)
            else:
                self.status.emit(f"{method_title(key)} cancelled")

    # -- edits -----------------------------------------------------------------------------------------

    def _stroke(self, stroke) -> None:
        if self.session is not None and self.session.trimap is not None:
            self.session.add_stroke(stroke)

    def _apply_band(self) -> None:
        if self.session is not None:
            self.session.set_band(Band(self.erode.value(), self.dilate.value()))

    def undo(self) -> None:
        if self.session is not None:
            self._apply_band_now()
            self.session.undo()
            self._sync_band()

    def redo(self) -> None:
        if self.session is not None:
            self.session.redo()
            self._sync_band()

    def _apply_band_now(self) -> None:
        if self._band_timer.isActive():
            self._band_timer.stop()
            self._apply_band()

    def _sync_band(self) -> None:
        for spin, value in ((self.erode, self.session.band.erode), (self.dilate, self.session.band.dilate)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)

    def _method_chosen(self) -> None:
        method = self.method_box.currentData()
        if method and self.session is not None:
            self.session.set_main_method(method)

    # -- methods ---------------------------------------------------------------------------------------

    def run_methods(self) -> None:
        """(Re)run the main method and the visible comparison methods on the current trimap."""
        self._rerun.stop()
        if self.session is not None:
            self.session.run_methods()

    def cancel(self, key: str) -> None:
        if self.session is None:
            return
        self.session.cancel(self.session.main_method if key == "alpha" else key)

    # -- composite -------------------------------------------------------------------------------------

class _SplitRunner:
    """Methods run on one pool, the quick stages (segmentation, band, composite) on another."""

    STAGES = (SOFT, TRIMAP, COMPOSITE)

    def __init__(self, methods: SessionRunner, stages: SessionRunner) -> None:
        self.methods, self.stages = methods, stages

    def _for(self, key: str) -> SessionRunner:
        return self.stages if key in self.STAGES else self.methods

    def start(self, key, fn, *args, **kwargs) -> None:
        self._for(key).start(key, fn, *args, **kwargs)

    def cancel(self, key: str) -> bool:
        return self._for(key).cancel(key)

    def discard(self, key: str) -> bool:
        return self._for(key).discard(key)
