"""The video tab: a frame slider with a preview of the composite, the background, and export in a worker.

The work is headless (``video.preview.preview_frame``, ``video.convert.convert``); this widget only maps its
controls onto them and shows progress, with Cancel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSlider, QVBoxLayout, QWidget,
)

from matting_studio.app.qt_images import display_rgb, to_qimage
from matting_studio.app.workers import Jobs, Worker
from matting_studio.video.backgrounds import BLUR, Background, parse_background
from matting_studio.video.sources import VIDEO_SUFFIXES, ImageSequenceSource, open_source

VIDEO_FILTER = "Videos (" + " ".join(f"*{s}" for s in VIDEO_SUFFIXES) + ")"
BACKGROUNDS = {"Transparent": None, "Green": "green", "White": "white", "Black": "black", "Blurred original": BLUR}
PICK_IMAGE = "Image…"


class VideoView(QWidget):
    """Open a clip (:meth:`load`), scrub it, preview a frame on the chosen background, export it."""

    status = Signal(str)
    error = Signal(str)
    exported = Signal(str)

    def __init__(self, pipeline, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.source = None
        self.background: Optional[Background] = None
        self.preview_image = None  # the last preview, numpy (for tests and export of a still)
        self.jobs = Jobs(self, max_threads=1)
        self.picture = QLabel("Open a video (File ▸ Open) to see its frames here.")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(320, 180)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.sliderReleased.connect(self.preview)
        self.slider.valueChanged.connect(self._frame_label)
        self.frame_label = QLabel("")
        self.backgrounds = QComboBox()
        self.backgrounds.addItems(list(BACKGROUNDS) + [PICK_IMAGE])
        self.backgrounds.currentTextChanged.connect(self._background_chosen)
        self.export_button = QPushButton("Export video…")
        self.export_button.clicked.connect(self.export_dialog)
        self.export_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(lambda: self.jobs.cancel("export"))
        controls = QHBoxLayout()
        for widget in (self.frame_label, QLabel("Background:"), self.backgrounds, self.export_button,
                       self.progress, self.cancel_button):
            controls.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.slider)
        layout.addLayout(controls)

    # -- opening and preview ---------------------------------------------------------------------------

    def load(self, path: Path) -> bool:
        """Open a video file or a folder of numbered frames; False (and an ``error``) when it cannot be read."""
        try:
            source = open_source(Path(path))
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.error.emit(str(exc))
            return False
        return self.load_source(source, Path(path).name)

    def load_burst(self, paths: list[Path]) -> bool:
        """Open photos of a burst (in this order) as the frames of a clip."""
        try:
            source = ImageSequenceSource.of_files(paths)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.error.emit(str(exc))
            return False
        return self.load_source(source, f"a burst of {len(paths)} photos")

    def load_source(self, source, name: str) -> bool:
        self.source = source
        count = self.source.info.frame_count or 1
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(0)
        self.slider.setEnabled(True)
        self.export_button.setEnabled(True)
        info = self.source.info
        self.status.emit(f"Opened {name}: {info.width}x{info.height}, {float(info.fps):.3g} frames/s, "
                         f"{count} frames")
        self._frame_label()
        self.preview()
        return True

    def _frame_label(self) -> None:
        if self.source is not None:
            self.frame_label.setText(f"Frame {self.slider.value() + 1} / {self.slider.maximum() + 1}")

    def _background_chosen(self, text: str) -> None:
        if text == PICK_IMAGE:
            path, _ = QFileDialog.getOpenFileName(self, "Background image or video", "")
            if not path:
                return
            try:
                self.background = parse_background(path)
            except Exception as exc:  # noqa: BLE001
                self.error.emit(str(exc))
                return
        else:
            self.background = parse_background(BACKGROUNDS[text])
        self.preview()

    def preview(self) -> Optional[Worker]:
        """Matte and composite the slider's frame in a worker; the picture updates when it is done."""
        if self.source is None:
            return None
        from matting_studio.video.preview import preview_frame

        worker = Worker(preview_frame, self.source, self.slider.value(), self.pipeline, background=self.background)
        return self.jobs.start("preview", worker, finished=self._show, error=self.error.emit)

    def _show(self, image) -> None:
        self.preview_image = image
        pixmap = QPixmap.fromImage(to_qimage(display_rgb(image)))
        self.picture.setPixmap(pixmap.scaled(self.picture.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))

    # -- export ----------------------------------------------------------------------------------------

    def export_dialog(self) -> None:
        suggestion = ".webm" if self.background is None else ".mp4"
        path, _ = QFileDialog.getSaveFileName(self, "Export video", str(self.source.path.with_suffix(suggestion)),
                                              VIDEO_FILTER)
        if path:
            self.export(Path(path), overwrite=Path(path).exists())  # the dialog has asked about replacing

    def export(self, output: Path, *, overwrite: bool = False) -> Worker:
        """Convert the whole clip into ``output`` in a worker (progress bar, Cancel; resumable)."""
        from matting_studio.video.convert import convert

        worker = Worker(convert, self.source, Path(output), pipeline=self.pipeline, background=self.background,
                        fps=self.source.info.fps, overwrite=overwrite)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.export_button.setEnabled(False)
        return self.jobs.start("export", worker, progress=self._progress, finished=self._exported,
                               error=self._export_failed, cancelled=lambda: self._export_failed("Export cancelled."))

    def _progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(1000 * fraction))
        self.progress.setFormat(message)

    def _export_done(self) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.export_button.setEnabled(True)

    def _exported(self, result) -> None:
        self._export_done()
        self.status.emit(f"Wrote {result.path} ({result.frames} frames)")
        self.exported.emit(str(result.path))

    def _export_failed(self, message: str) -> None:
        self._export_done()
        self.error.emit(message)

    def shutdown(self) -> None:
        self.jobs.shutdown(5000)
