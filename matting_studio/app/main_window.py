"""The main window: filmstrip with drag-and-drop, the Matting / Compositor / Training tabs, menus, status bar,
settings. Business logic lives in the headless layers; long work runs in workers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QIcon, QImageReader, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QFileDialog, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox, QProgressDialog, QSplitter,
    QTabWidget,
)

from matting_studio.app.compositor import CompositorPanel
from matting_studio.app.matting_view import STAGE_PANES, MattingView, method_title
from matting_studio.app.training_tab import TrainingTab
from matting_studio.app.window_settings import WindowSettings
from matting_studio.app.workers import Jobs, Worker
from matting_studio.core import dataset_layout as layout, imageio
from matting_studio.core.errors import MattingError
from matting_studio.session import KINDS, BatchExportOptions, batch_export, export_array, free_name
from matting_studio.session.persistence import SessionStore
from matting_studio.video.sources import VIDEO_SUFFIXES, is_video_path

log = logging.getLogger(__name__)
IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in imageio.IMAGE_SUFFIXES) + ")"
OPEN_FILTER = IMAGE_FILTER + ";;Videos (" + " ".join(f"*{s}" for s in VIDEO_SUFFIXES) + ")"
THUMB = QSize(96, 96)  # filmstrip thumbnails fit this square: portrait and landscape alike
EXPORT_DIR_KEY = "export_dir"  # settings: the folder of the last export
SAVE_MS = 500  # debounce of writing an image's edits (session.persistence)


class MainWindow(QMainWindow):
    def __init__(self, *, settings: Optional[QSettings] = None, pipeline=None) -> None:
        super().__init__()
        from matting_studio.engine.pipeline import Pipeline, available_methods

        self.setWindowTitle("Matting Studio")
        self.settings = settings or QSettings("MattingStudio", "Matting Studio")
        self.window_settings = WindowSettings(self.settings)  # geometry, panes, recent files
        self.pipeline = pipeline or Pipeline(fast=True)
        methods = [m for m in available_methods()]
        self.setAcceptDrops(True)
        self.current: Optional[Path] = None
        self.last_error = ""
        self.filmstrip = QListWidget()
        self.filmstrip.setViewMode(QListWidget.ViewMode.IconMode)
        self.filmstrip.setIconSize(THUMB)
        self.filmstrip.setFlow(QListWidget.Flow.TopToBottom)
        self.filmstrip.setWrapping(False)  # one column that scrolls down, never sideways
        self.filmstrip.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.filmstrip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.filmstrip.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 28))
        self.filmstrip.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.filmstrip.setMaximumWidth(150)
        self.filmstrip.setMinimumWidth(130)
        self.filmstrip.currentItemChanged.connect(self._item_chosen)
        self.filmstrip.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)  # Ctrl / Shift: a burst
        self.matting = MattingView(self.pipeline, methods, self)
        self.jobs = Jobs(self, max_threads=1)  # batch export
        self.compositor = CompositorPanel(self)
        self.training = TrainingTab(self)
        self.video = None  # the Video tab, made when a clip is opened
        self.tabs = QTabWidget()
        self.tabs.addTab(self.matting, "Matting")
        self.tabs.addTab(self.compositor, "Compositor")
        self.tabs.addTab(self.training, "Training")
        splitter = QSplitter()
        splitter.addWidget(self.filmstrip)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([130, 1270])
        self.setCentralWidget(splitter)
        self.device_label, self.timing_label = QLabel(""), QLabel("")
        self.statusBar().addPermanentWidget(self.timing_label)
        self.statusBar().addPermanentWidget(self.device_label)
        self.matting.status.connect(self._status)
        self.matting.error.connect(self.show_error)
        self.matting.result_ready.connect(self._result_ready)
        self.matting.final_ready.connect(self._final_ready)
        self.matting.session_changed.connect(self._session_changed)
        # every image's edits are kept across a restart, next to the settings (session.persistence)
        self.session_store = SessionStore(Path(self.settings.fileName()).parent / "sessions")
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_MS)
        self._save_timer.timeout.connect(self._save_session)
        self.matting.history_changed.connect(self._save_timer.start)
        self.matting.final_ready.connect(self._save_timer.start)  # the main method may have changed
        self.compositor.error.connect(self.show_error)
        self.training.error.connect(self.show_error)
        self.training.checkpoint_chosen.connect(self.use_checkpoint)
        self._build_menus()
        if (saved := self.window_settings.panes()) is not None:
            self.set_panes(saved)
        self.window_settings.restore_geometry(self)
        QTimer.singleShot(0, self, self._describe_engine)  # not after the window is gone

    # -- menus -----------------------------------------------------------------------------------------

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        self._action(file, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self._action(file, "Open &folder…", self.open_folder_dialog, "Ctrl+Shift+O")
        self.recent_menu = file.addMenu("Recent files")
        self._action(file, "Load ground-truth alpha…", self.load_gt_dialog)
        self._action(file, "Load trimap…", self.load_trimap_dialog)
        file.addSeparator()
        export = file.addMenu("&Export")
        for kind in KINDS:
            for bits in (8, 16):
                self._action(export, f"{kind.capitalize()} ({bits}-bit)…", lambda _=False, k=kind, b=bits: self.export_dialog(k, b),
                             "Ctrl+E" if (kind, bits) == ("cutout", 8) else None)
        self._action(file, "&Batch export filmstrip…", self.batch_export_dialog, "Ctrl+Shift+E")
        self.burst_action = self._action(file, "Open selection as a &burst", self.open_selected_burst, "Ctrl+Shift+B")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = self.menuBar().addMenu("&Edit")
        self.undo_action = self._action(edit, "Undo", self.matting.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(edit, "Redo", self.matting.redo, QKeySequence.StandardKey.Redo)
        self.matting.history_changed.connect(self._history_changed)
        self._history_changed()
        edit.addSeparator()
        brush = self.matting.brush
        self.brush_actions = [
            self._action(edit, "Toggle the trimap brush", lambda: self.matting.brush_on.toggle(), "B"),
            self._action(edit, "Smaller brush", brush.shrink, "["),
            self._action(edit, "Larger brush", brush.grow, "]"),
            self._action(edit, "Brush paints FG / BG / Unknown / Refine edge (cycle)", brush.cycle_value, "X"),
        ]
        self.matting.set_brush_tooltip(self.brush_tooltip())
        view = self.menuBar().addMenu("&View")
        self._action(view, "Fit", lambda: self.active_view().fit(), "F")
        self._action(view, "1:1", lambda: self.active_view().one_to_one(), "1")
        self._action(view, "Cut-out view: checkerboard / black / white / overlay / alpha (cycle)",
                     self.matting.cycle_cutout_view, "V")
        self._action(view, "Run methods", self.matting.run_methods, "Ctrl+R")
        panes = view.addMenu("Panes")
        self.pane_actions = {}
        for key in self.matting.panes:
            title = dict(STAGE_PANES).get(key) or method_title(key)
            action = QAction(title, self, checkable=True)
            action.setChecked(key in self.matting.visible)
            action.toggled.connect(self._pane_toggled)
            panes.addAction(action)
            self.pane_actions[key] = action
        self._refresh_recent()

    def brush_tooltip(self) -> str:
        """The brush's help, made from the actions' own shortcuts (so it never promises other keys)."""
        keys = "; ".join(f"{a.shortcut().toString()}: {a.text().lower()}" for a in self.brush_actions)
        return (f"Paint the trimap on the input, trimap or composite pane with the left button (the middle or "
                f"right button pans). {keys}.")

    def active_view(self):
        """The zoom/pan the View menu acts on: the compositor's preview on its tab, else the matting panes'."""
        return self.compositor.view if self.tabs.currentWidget() is self.compositor else self.matting.view

    def _history_changed(self) -> None:
        session = self.matting.session
        undo = session.history.undo_label if session else ""
        redo = session.history.redo_label if session else ""
        self.undo_action.setText(f"Undo {undo}" if undo else "Undo")
        self.redo_action.setText(f"Redo {redo}" if redo else "Redo")
        self.undo_action.setEnabled(bool(undo))
        self.redo_action.setEnabled(bool(redo))

    def set_panes(self, keys: set[str]) -> None:
        for key, action in self.pane_actions.items():
            action.blockSignals(True)
            action.setChecked(key in keys)
            action.blockSignals(False)
        self.matting.set_visible_panes(keys)

    def _pane_toggled(self) -> None:
        keys = {k for k, a in self.pane_actions.items() if a.isChecked()}
        self.matting.set_visible_panes(keys)
        self.window_settings.set_panes(keys)

    # -- status ----------------------------------------------------------------------------------------

    def _describe_engine(self) -> None:
        try:
            from matting_studio.engine.device import choose_device, describe_device

            device = describe_device(choose_device(self.pipeline.device))
        except Exception as exc:  # noqa: BLE001
            device = f"device unavailable ({exc})"
        self.device_label.setText(f"{device} · segmenter: {self.pipeline.segmenter_name} · method: "
                                  f"{method_title(self.matting.default_method)}")

    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _show_timings(self) -> None:
        self.timing_label.setText(", ".join(f"{method_title(m)} {r.seconds:.2f}s"
                                            for m, r in self.matting.results.items()))

    def _result_ready(self, method: str) -> None:
        self._show_timings()

    def _final_ready(self) -> None:
        r = self.matting.final_result()
        self.compositor.set_subject(self.matting.image, r.alpha, r.foreground)

    def _session_changed(self) -> None:
        """Another image (or its kept session): timings and compositor show its results, or nothing yet."""
        self._show_timings()
        r = self.matting.final_result()
        if r is not None:
            self.compositor.set_subject(self.matting.image, r.alpha, r.foreground)
        else:
            self.compositor.clear_subject("Matting this image…")

    def show_error(self, message: str) -> None:
        """Errors go to the status bar and a non-blocking message box; the window stays usable."""
        log.warning(message)
        self.statusBar().showMessage(message, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, "Matting Studio", message, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_error = message

    # -- opening ---------------------------------------------------------------------------------------

    def add_paths(self, paths: list[Path]) -> int:
        """Add image files (folders expanded) to the filmstrip; opens the first new one. Returns the count."""
        files: list[Path] = []
        for path in map(Path, paths):
            if path.is_file() and is_video_path(path):  # a clip opens in the Video tab
                self.open_video(path)
                continue
            if path.is_dir():
                files.extend(imageio.list_images(path))
            elif path.is_file():
                files.append(path)
            else:
                self.show_error(f"'{path}' does not exist.")
        first = None
        for path in files:
            item = QListWidgetItem(path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            reader = QImageReader(str(path))
            reader.setAutoTransform(True)
            size = reader.size()
            if size.isValid() and size.width() > 0:
                reader.setScaledSize(size.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio))  # EXIF-turned too
            thumb = reader.read()
            if not thumb.isNull():
                item.setIcon(QIcon(QPixmap.fromImage(thumb)))
            self.filmstrip.addItem(item)
            first = first or item
        if first is not None:
            self.filmstrip.setCurrentItem(first)
        return len(files)

    def _video_tab(self):
        """The Video tab (made on first use: frame slider, preview, export), now shown."""
        from matting_studio.app.video_view import VideoView

        if self.video is None:
            self.video = VideoView(self.pipeline, self)
            self.video.status.connect(self._status)
            self.video.error.connect(self.show_error)
            self.tabs.addTab(self.video, "Video")
        self.tabs.setCurrentWidget(self.video)
        return self.video

    def open_video(self, path: Path) -> bool:
        """Show ``path`` in the Video tab."""
        return self._video_tab().load(path)

    def filmstrip_paths(self, *, selected: bool = False) -> list[Path]:
        """The filmstrip's photos (only the selected ones with ``selected``), in filmstrip order."""
        items = [self.filmstrip.item(i) for i in range(self.filmstrip.count())]
        return [Path(item.data(Qt.ItemDataRole.UserRole)) for item in items if item.isSelected() or not selected]

    def open_selected_burst(self) -> bool:
        """The selected photos (Ctrl / Shift-click in the filmstrip) as the frames of a clip in the Video tab: each
        frame's motion cues are its neighbours, aligned, as for a video."""
        paths = self.filmstrip_paths(selected=True)
        if len(paths) < 2:
            self.show_error("Select two or more photos of a burst in the filmstrip (Ctrl- or Shift-click).")
            return False
        return self._video_tab().load_burst(paths)
    def _item_chosen(self, item: Optional[QListWidgetItem], previous: Optional[QListWidgetItem]) -> None:
        """Open the chosen filmstrip item; one that fails to open is marked and the selection goes back."""
        if item is None:
            return
        if self.open_image(Path(item.data(Qt.ItemDataRole.UserRole))):
            return
        item.setForeground(QColor(200, 60, 60))
        item.setToolTip(f"{item.data(Qt.ItemDataRole.UserRole)}\n{self.last_error}")
        self.filmstrip.blockSignals(True)
        self.filmstrip.setCurrentItem(previous)
        if previous is None:
            self.filmstrip.setCurrentRow(-1)
        self.filmstrip.blockSignals(False)

    def _save_session(self) -> None:
        """Write the shown session's edits for its image (a failure to write is logged, never shown)."""
        self._save_timer.stop()
        if self.current is None or self.matting.session is None:
            return
        try:
            self.session_store.save(self.current, self.matting.session)
        except OSError as exc:
            log.warning("Could not keep the edits of %s: %s", self.current, exc)

    def open_image(self, path: Path) -> bool:
        """Show ``path``: its kept session (strokes, undo history, results), the edits saved by an earlier run,
        or a new one. False on failure."""
        if self._save_timer.isActive():  # the shown image's last edit is written before another is shown
            self._save_session()
        key = str(Path(path).resolve())
        if self.matting.show_session(key):
            self._opened(Path(path), "")
            return True
        try:
            loaded = imageio.load_image(path)
        except imageio.ImageReadError as exc:
            self.show_error(str(exc))
            return False
        gt = trimap = None
        for folder, sibling in layout.siblings(Path(path)).items():  # a dataset's ground truth and trimap
            try:
                arr = imageio.load_gray(sibling)
                if arr.shape == loaded.rgb.shape[:2]:
                    gt, trimap = (arr, trimap) if folder == layout.ALPHA else (gt, arr)
            except imageio.ImageReadError:
                pass
        if trimap is not None:
            from matting_studio.core.trimap import validate_trimap

            try:
                trimap = validate_trimap(trimap, loaded.rgb.shape)
            except Exception:  # noqa: BLE001 - fall back to automatic mode
                trimap = None
        self.matting.load(loaded.rgb, gt_alpha=gt, trimap=trimap, key=key, saved=self.session_store.load(path))
        note = " (the file's own alpha channel is ignored for matting)" if loaded.has_alpha else ""
        self._opened(Path(path), note + (" with its trimap" if trimap is not None else ""))
        return True

    def _opened(self, path: Path, note: str) -> None:
        self.current = path
        self._status(f"Opened {path.name}{note}")
        self._remember(path)
        self.setWindowTitle(f"Matting Studio — {path.name}")

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open images", "", OPEN_FILTER)
        if paths:
            self.add_paths([Path(p) for p in paths])

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of images")
        if folder:
            self.add_paths([Path(folder)])

    def load_gt_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Ground-truth alpha", "", IMAGE_FILTER)
        if path and self.matting.image is not None:
            try:
                gt = imageio.load_gray(path)
                if gt.shape != self.matting.image.shape[:2]:
                    raise imageio.ImageReadError("The ground-truth alpha must have the size of the image.")
            except imageio.ImageReadError as exc:
                self.show_error(str(exc))
                return
            self.matting.session.set_ground_truth(gt)
            self.matting.run_methods()

    def load_trimap_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Trimap", "", IMAGE_FILTER)
        if path and self.matting.image is not None:
            from matting_studio.core.trimap import validate_trimap

            try:
                trimap = validate_trimap(imageio.load_gray(path), self.matting.image.shape)
            except Exception as exc:  # noqa: BLE001
                self.show_error(str(exc))
                return
            self.matting.session.set_trimap(trimap)

    def _remember(self, path: Path) -> None:
        self.window_settings.add_recent(path)
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.window_settings.recent_files():
            self._action(self.recent_menu, p, lambda _=False, q=p: self.add_paths([Path(q)]))

    # -- drag and drop ---------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    # -- export ----------------------------------------------------------------------------------------

    def export(self, kind: str, path: Path, bits: int = 8, overwrite: bool = False) -> Optional[Path]:
        """Write the current result; refuses to overwrite unless told (the dialog asked the user)."""
        result = self.matting.final_result()
        if result is None:
            self.show_error("Nothing to export yet: run a method first.")
            return None
        try:
            comp = self.compositor.render() if kind == "composite" else None
            written = imageio.save_png(path, export_array(kind, self.matting.image, result.alpha, result.foreground,
                                                          comp), bits=bits, overwrite=overwrite,
                                       inputs=[self.current] if self.current else [])
        except MattingError as exc:
            self.show_error(str(exc))
            return None
        self.settings.setValue(EXPORT_DIR_KEY, str(Path(written).parent))
        return written

    def export_suggestion(self, kind: str) -> Path:
        """Where the export dialog starts: a free name in the last export folder (else beside the image)."""
        folder = Path(self.settings.value(EXPORT_DIR_KEY) or self.current.parent)
        if not folder.is_dir():
            folder = self.current.parent
        return free_name(folder / f"{self.current.stem}_{kind}.png")

    def export_dialog(self, kind: str, bits: int) -> None:
        if self.current is None:
            self.show_error("Open an image first.")
            return
        suggestion = self.export_suggestion(kind)
        path, _ = QFileDialog.getSaveFileName(self, f"Export {kind}", str(suggestion), "PNG (*.png)")
        if path:  # the dialog has already asked before replacing an existing file
            written = self.export(kind, Path(path), bits, overwrite=True)
            if written:
                self._status(f"Wrote {written}")

    def batch_export_dialog(self) -> None:
        paths = self.filmstrip_paths()
        if not paths:
            self.show_error("The filmstrip is empty.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Export cut-outs into")
        if folder:
            self.start_batch_export(paths, Path(folder))

    def start_batch_export(self, paths: list[Path], folder: Path) -> Worker:
        dialog = QProgressDialog("Exporting…", "Cancel", 0, 1000, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        run = lambda image, cancel=None: self._matte_whole(image, cancel)  # noqa: E731
        worker = Worker(batch_export, paths, folder, run, BatchExportOptions())
        self.batch_worker = self.jobs.start(
            "batch", worker,
            progress=lambda f, m: (dialog.setValue(int(f * 1000)), dialog.setLabelText(m)),
            finished=lambda written: (dialog.reset(), self._status(f"Exported {len(written)} file(s) to {folder}")),
            error=lambda msg: (dialog.reset(), self.show_error(msg)),
            cancelled=lambda: (dialog.reset(), self._status("Batch export cancelled")))
        dialog.canceled.connect(worker.cancel)
        return worker

    def _matte_whole(self, image, cancel):
        result = self.pipeline.run(image, cancel=cancel)
        return result.alpha, result.foreground

    # -- models ----------------------------------------------------------------------------------------

    def use_checkpoint(self, path: str) -> None:
        from matting_studio.engine.pipeline import Pipeline

        self.pipeline = Pipeline(segmenter=self.pipeline.segmenter_name, method="dlmng", device=self.pipeline.device,
                                 fast=self.pipeline.fast, weights=path,
                                 classical_in_child=self.pipeline.classical_in_child)
        self.matting.set_pipeline(self.pipeline, "dlmng")
        self._describe_engine()
        self.tabs.setCurrentWidget(self.matting)
        self._status(f"Using {path} (DLMN-G) in the matting view")

    # -- closing ---------------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:  # noqa: N802
        """Cancel every worker first (their late signals are ignored), then wait briefly for them to stop."""
        self.window_settings.save_geometry(self)
        if self._save_timer.isActive():
            self._save_session()
        self.matting.cancel_all()
        self.jobs.discard_all()
        self.training.shutdown()
        self.compositor.shutdown(5000)
        self.matting.shutdown(5000)
        self.jobs.shutdown(5000)
        if self.video is not None:
            self.video.shutdown()
        super().closeEvent(event)
