"""The matting view: side-by-side panes (input, soft segmentation, trimap, alpha, foreground, composite and
every comparison method) with shared zoom/pan; methods run in parallel workers and fill their panes."""

from __future__ import annotations

import time
from typing import Optional

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QRadioButton, QSlider, QSpinBox,
    QVBoxLayout, QWidget,
)

from matting_studio import classical
from matting_studio.app.image_pane import ImagePane
from matting_studio.app.trimap_editing import TrimapEditor
from matting_studio.app.view_state import ViewState
from matting_studio.app.workers import Jobs, Worker
from matting_studio.core import trimap as trimap_ops
from matting_studio.core.compositing import composite

STAGE_PANES = [("input", "Input"), ("soft", "Soft segmentation"), ("trimap", "Trimap"), ("alpha", "Alpha"),
               ("foreground", "Foreground"), ("composite", "Composite")]
METHOD_TITLES = {"ssrn": "DLMN-G + SSRN", "dlmng": "DLMN-G", **{k: v.label for k, v in classical.METHODS.items()}}
DEFAULT_VISIBLE = {"input", "soft", "trimap", "alpha", "composite", "ssrn", "knn", "rw", "cf"}  # ssrn: when installed


class MattingView(QWidget):
    """Owns the current image's results. Signals: ``status(str)``, ``error(str)``, ``result_ready(str)``."""

    status = Signal(str)
    error = Signal(str)
    result_ready = Signal(str)

    def __init__(self, pipeline, methods: list[str], parent=None) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.methods = methods
        self.main_method = pipeline.method
        self.view = ViewState()
        # one current worker per pane key ("soft" or a method); superseded workers are cancelled and silenced
        self.jobs = Jobs(self, max_threads=2)
        self.pool = self.jobs.pool
        self.workers: dict[str, Worker] = self.jobs.current  # read-only view
        self.image: Optional[np.ndarray] = None
        self.gt_alpha: Optional[np.ndarray] = None
        self.soft_mask: Optional[np.ndarray] = None
        self.auto_trimap: Optional[np.ndarray] = None
        self.trimap: Optional[np.ndarray] = None
        self.results: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
        self.background = (0.2, 0.8, 0.3)
        self.editor = TrimapEditor(self._trimap_changed)
        self.panes: dict[str, ImagePane] = {}
        for key, title in STAGE_PANES + [(m, METHOD_TITLES.get(m, m)) for m in methods]:
            pane = ImagePane(key, title, self.view, self)
            pane.cancel_requested.connect(self.cancel)
            self.panes[key] = pane
        self.visible = {k for k in DEFAULT_VISIBLE if k in self.panes}
        self._rerun = QTimer(self, singleShot=True, interval=400)
        self._rerun.timeout.connect(self.run_methods)
        self._build_controls()
        self.grid = QGridLayout()
        self.grid.setSpacing(4)
        layout = QVBoxLayout(self)
        layout.addLayout(self.controls)
        layout.addLayout(self.grid, 1)
        self.relayout()
        self.panes["trimap"].canvas.brush = self._brush_event

    # -- controls --------------------------------------------------------------------------------------

    def _build_controls(self) -> None:
        self.controls = QHBoxLayout()
        self.brush_on = QCheckBox("Brush")
        self.brush_on.setToolTip("Paint on the trimap pane (F/B/U choose the value)")
        self.brush_group = QButtonGroup(self)
        self.brush_values = {}
        for text, value in (("FG", 1.0), ("BG", 0.0), ("Unknown", 0.5)):
            button = QRadioButton(text)
            self.brush_group.addButton(button)
            self.brush_values[button] = value
        self.brush_size = QSpinBox(minimum=1, maximum=200, value=12, suffix=" px")
        self.erode = QSpinBox(minimum=0, maximum=200, suffix=" px")
        self.dilate = QSpinBox(minimum=0, maximum=200, suffix=" px")
        self.erode.setToolTip("Automatic trimap: erosion radius (known foreground)")
        self.dilate.setToolTip("Automatic trimap: dilation radius (known background)")
        for spin in (self.erode, self.dilate):
            spin.valueChanged.connect(self._trimap_params_changed)
        self.split = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=100)
        self.split.setToolTip("Before/after: input vs composite")
        self.split.valueChanged.connect(self._update_composite)
        self.run_button = QPushButton("Run methods")
        self.run_button.clicked.connect(self.run_methods)
        self.controls.addWidget(self.brush_on)
        for button in self.brush_group.buttons():
            self.controls.addWidget(button)
        self.brush_group.buttons()[0].setChecked(True)
        self.controls.addWidget(QLabel("size"))
        self.controls.addWidget(self.brush_size)
        self.controls.addSpacing(12)
        self.controls.addWidget(QLabel("erode"))
        self.controls.addWidget(self.erode)
        self.controls.addWidget(QLabel("dilate"))
        self.controls.addWidget(self.dilate)
        self.controls.addSpacing(12)
        self.controls.addWidget(QLabel("before/after"))
        self.controls.addWidget(self.split, 1)
        self.controls.addWidget(self.run_button)

    def set_visible_panes(self, keys: set[str]) -> None:
        self.visible = {k for k in keys if k in self.panes}
        self.relayout()

    def relayout(self) -> None:
        for pane in self.panes.values():
            self.grid.removeWidget(pane)
            pane.setVisible(False)
        keys = [k for k in self.panes if k in self.visible]
        columns = 4 if len(keys) > 6 else 3 if len(keys) > 4 else max(1, len(keys))
        for i, key in enumerate(keys):
            self.grid.addWidget(self.panes[key], i // columns, i % columns)
            self.panes[key].setVisible(True)

    # -- loading ---------------------------------------------------------------------------------------

    def cancel_all(self) -> None:
        """Cancel every running worker; their late signals are ignored (a new image or closing)."""
        self._rerun.stop()
        self.jobs.discard_all()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait briefly for the workers to stop (closing the window)."""
        self._rerun.stop()
        return self.jobs.shutdown(timeout_ms)

    def load(self, image: np.ndarray, gt_alpha: Optional[np.ndarray] = None, trimap: Optional[np.ndarray] = None) -> None:
        """Show a new image and start the pipeline (segmentation, or the given trimap)."""
        self.cancel_all()
        self.image, self.gt_alpha = image, gt_alpha
        self.soft_mask = self.auto_trimap = self.trimap = None
        self.results.clear()
        self.editor.clear()
        for pane in self.panes.values():
            pane.set_image(None)
            pane.set_busy(False)
        h, w = image.shape[:2]
        self.panes["input"].set_image(image, f"{w}×{h}" + (" · ground truth loaded" if gt_alpha is not None else ""))
        self.view.fit()
        band = trimap_ops.default_band(image.shape)
        for spin in (self.erode, self.dilate):
            spin.blockSignals(True)
            spin.setValue(band)
            spin.blockSignals(False)
        if trimap is not None:
            self.auto_trimap = trimap
            self._trimap_changed(run=True)
            return
        pane = self.panes["soft"]
        pane.set_busy(True, 0, "segmenting…")
        self.jobs.start("soft", Worker(self.pipeline.segment, image),
                        progress=lambda f, m: pane.set_busy(True, f, m), finished=self._segmented,
                        error=lambda msg: self._failed("soft", msg), cancelled=lambda: self._cancelled("soft"))
        self.status.emit("Segmenting…")

    def _segmented(self, mask: np.ndarray) -> None:
        from matting_studio.engine.pipeline import NO_SUBJECT

        self.soft_mask = mask
        self.panes["soft"].set_busy(False)
        found = trimap_ops.has_subject(mask)
        self.panes["soft"].set_image(mask, self.pipeline.segmenter_name + ("" if found else " · no subject found"))
        if not found:  # the methods still run and show the empty alpha
            self.status.emit(NO_SUBJECT)
        self._trimap_params_changed()

    def _trimap_params_changed(self) -> None:
        if self.soft_mask is None:
            return
        self.auto_trimap = self.pipeline.make_trimap(self.soft_mask, erode=self.erode.value(),
                                                     dilate=self.dilate.value(), image=self.image)
        self._trimap_changed(run=True)

    def _trimap_changed(self, run: bool = True) -> None:
        if self.auto_trimap is None:
            return
        self.trimap = trimap_ops.trimap_from_strokes(self.auto_trimap.shape, self.editor.strokes, base=self.auto_trimap)
        self.panes["trimap"].set_image(self.trimap, f"{len(self.editor.strokes)} stroke(s)")
        if run:
            self._rerun.start()

    # -- brush -----------------------------------------------------------------------------------------

    def _brush_event(self, kind: str, point) -> None:
        if not self.brush_on.isChecked() or self.trimap is None:
            if kind == "press":
                self.panes["trimap"].canvas._drag = None
            return
        if kind == "press":
            self.editor.begin(point.x(), point.y())
        elif kind == "move":
            self.editor.extend(point.x(), point.y())
        else:
            self.editor.extend(point.x(), point.y())
            value = self.brush_values[self.brush_group.checkedButton()]
            self.editor.finish(self.brush_size.value() / 2.0, value)

    # -- methods ---------------------------------------------------------------------------------------

    def run_methods(self) -> None:
        """(Re)run the main method and the visible comparison methods on the current trimap."""
        if self.image is None or self.trimap is None:
            return
        wanted = [self.main_method] + [m for m in self.methods if m in self.visible and m != self.main_method]
        stopped = [key for key in list(self.workers) if key != "soft" and self.jobs.discard(key) is not None]
        try:
            trimap_ops.validate_trimap(self.trimap, self.image.shape, allow_fully_known=True)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            wanted = []
            self.error.emit(str(exc))
        for key in stopped:
            if key not in wanted:  # not restarted: its pane must not look busy forever
                self._cancelled(key)
        for method in wanted:
            self._start_method(method)

    def _start_method(self, method: str) -> None:
        pane_keys = [k for k in (method, "alpha" if method == self.main_method else None) if k and k in self.panes]
        for k in pane_keys:
            self.panes[k].set_busy(True, 0, f"{METHOD_TITLES.get(method, method)}…")
        t0 = time.perf_counter()
        worker = Worker(self.pipeline.matte, self.image, self.trimap, method=method, soft_mask=self.soft_mask)
        self.jobs.start(method, worker,
                        progress=lambda f, m: self._method_progress(pane_keys, f, m),
                        finished=lambda res: self._method_done(method, res, time.perf_counter() - t0),
                        error=lambda msg: self._failed(method, msg), cancelled=lambda: self._cancelled(method))

    def _method_progress(self, pane_keys: list[str], fraction: float, message: str) -> None:
        for k in pane_keys:
            self.panes[k].set_busy(True, fraction, message)

    def _metrics_text(self, alpha: np.ndarray) -> str:
        if self.gt_alpha is None or self.gt_alpha.shape != alpha.shape:
            return ""
        from matting_studio.core.metrics import all_metrics

        m = all_metrics(alpha, self.gt_alpha, self.trimap)
        return " · " + "  ".join(f"{k} {v:.3g}" for k, v in m.items())

    def _method_done(self, method: str, result, seconds: float) -> None:
        alpha, fg = result
        self.results[method] = (alpha, fg, seconds)
        detail = f"{seconds:.2f} s" + self._metrics_text(alpha)
        if method in self.panes:
            self.panes[method].set_busy(False)
            self.panes[method].set_image(alpha, detail)
        if method == self.main_method:
            self.panes["alpha"].set_busy(False)
            self.panes["alpha"].set_image(alpha, f"{METHOD_TITLES.get(method, method)} · {detail}")
            self.panes["foreground"].set_image(np.concatenate([fg, alpha[..., None]], 2), "cut-out")
            self._update_composite()
        self.status.emit(f"{METHOD_TITLES.get(method, method)}: {seconds:.2f} s")
        self.result_ready.emit(method)

    def _failed(self, key: str, message: str) -> None:
        for k in (key, "alpha" if key == self.main_method else None):
            if k in self.panes:
                self.panes[k].set_busy(False)
                self.panes[k].set_message(message)
        self.error.emit(message)

    def _cancelled(self, key: str) -> None:
        for k in (key, "alpha" if key == self.main_method else None):
            if k in self.panes:
                self.panes[k].set_busy(False)
                self.panes[k].set_message("Cancelled")
        self.status.emit(f"{METHOD_TITLES.get(key, key)} cancelled")

    def cancel(self, key: str) -> None:
        if key == "alpha":
            key = self.main_method
        self.jobs.cancel(key)  # the worker reports ``cancelled`` (the pane then says so)

    # -- composite -------------------------------------------------------------------------------------

    def main_result(self):
        """(alpha, foreground) of the main method, or None."""
        r = self.results.get(self.main_method)
        return None if r is None else (r[0], r[1])

    def _update_composite(self) -> None:
        result = self.main_result()
        if result is None or self.image is None:
            return
        alpha, fg = result
        comp = composite(fg, alpha, self.background)
        split = self.split.value() / 100.0
        self.panes["composite"].set_image(comp, "on colour")
        self.panes["composite"].set_before(self.image if split < 1 else None, split if split < 1 else None)
