"""Training tab: datasets, model and hyper-parameters; start / pause / stop / resume in a worker thread;
progress with ETA; live loss and validation-SAD curves; use the result in the matting view."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from matting_studio.app.workers import user_message
from matting_studio.core import registry


class TrainingThread(QThread):
    """Runs ``Trainer.events()`` and forwards each event."""

    event = Signal(object)
    failed = Signal(str)

    def __init__(self, trainer) -> None:
        super().__init__()
        self.trainer = trainer

    def run(self) -> None:
        try:
            for event in self.trainer.events():
                self.event.emit(event)
        except BaseException as exc:  # noqa: BLE001 - shown to the user
            self.failed.emit(user_message(exc))


class CurveCanvas(QWidget):
    """Training loss and validation SAD against the step (matplotlib's Qt canvas)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(5, 5), tight_layout=True)
        self.loss_ax = self.figure.add_subplot(2, 1, 1)
        self.sad_ax = self.figure.add_subplot(2, 1, 2)
        self.canvas = FigureCanvasQTAgg(self.figure)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self.train: list[tuple[int, float]] = []
        self.val: list[tuple[int, float]] = []
        self.redraw()

    def clear(self) -> None:
        self.train, self.val = [], []
        self.redraw()

    def redraw(self) -> None:
        self.loss_ax.clear()
        self.sad_ax.clear()
        if self.train:
            self.loss_ax.plot(*zip(*self.train), lw=0.8)
        self.loss_ax.set_title("training loss", fontsize=9)
        if self.val:
            self.sad_ax.plot(*zip(*self.val), "o-", color="C1")
        self.sad_ax.set_title("validation SAD (per crop)", fontsize=9)
        self.sad_ax.set_xlabel("step", fontsize=8)
        self.canvas.draw_idle()


class TrainingTab(QWidget):
    """``checkpoint_chosen(path)`` asks the main window to use a checkpoint in the matting view."""

    checkpoint_chosen = Signal(str)
    error = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.thread: Optional[TrainingThread] = None
        self.trainer = None
        self.last_checkpoint: Optional[Path] = None
        self.data, self.backgrounds, self.unlabelled, self.teacher, self.out = (QLineEdit() for _ in range(5))
        self.model = QComboBox()
        self.model.addItems(list(registry.LEARNED))
        self.size = QComboBox()
        self.size.addItems(["lite", "paper"])
        self.steps = QSpinBox(minimum=1, maximum=10_000_000, value=2000)
        self.batch = QSpinBox(minimum=1, maximum=256, value=4)
        self.crop = QSpinBox(minimum=32, maximum=1024, value=320, singleStep=32)
        self.lr = QDoubleSpinBox(decimals=5, minimum=1e-5, maximum=1.0, value=1e-3, singleStep=1e-4)
        self.val_every = QSpinBox(minimum=1, maximum=1_000_000, value=100)
        self.resume_box = QCheckBox("Resume from the output folder's last checkpoint")
        self.recipe = QLineEdit(str(_default_recipe() or ""))
        self.recipe.setToolTip("A JSON recipe of training settings (what `matting-studio train --config` reads); "
                               "Load fills the form from it, and its other settings (augmentation, EMA, data mix) "
                               "are used as they are.")
        self.recipe_settings: dict = {}
        form = QFormLayout()
        recipe_row = QHBoxLayout()
        recipe_row.addWidget(self.recipe, 1)
        recipe_browse = QPushButton("…")
        recipe_browse.clicked.connect(self._browse_recipe)
        self.load_recipe_button = QPushButton("Load")
        self.load_recipe_button.clicked.connect(self.load_recipe)
        recipe_row.addWidget(recipe_browse)
        recipe_row.addWidget(self.load_recipe_button)
        form.addRow("Recipe", recipe_row)
        for label, edit, folder in (("Foregrounds (image/ + alpha/)", self.data, True), ("Backgrounds", self.backgrounds, True),
                                    ("Unlabelled photos (SSRN)", self.unlabelled, True), ("Teacher DLMN-G (SSRN)", self.teacher, False),
                                    ("Output folder", self.out, True)):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            browse = QPushButton("…")
            browse.clicked.connect(lambda _=False, e=edit, f=folder: self._browse(e, f))
            row.addWidget(browse)
            form.addRow(label, row)
        for label, widget in (("Model", self.model), ("Size", self.size), ("Steps", self.steps), ("Batch", self.batch),
                              ("Crop", self.crop), ("Learning rate", self.lr), ("Validate every", self.val_every)):
            form.addRow(label, widget)
        form.addRow("", self.resume_box)
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.use_button = QPushButton("Use this checkpoint in the matting view")
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.use_button.clicked.connect(lambda: self.last_checkpoint and self.checkpoint_chosen.emit(str(self.last_checkpoint)))
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.stop_button, self.use_button):
            buttons.addWidget(b)
        self.progress = QProgressBar()
        self.status = QLabel("Idle")
        self.curves = CurveCanvas(self)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addLayout(buttons)
        left.addWidget(self.progress)
        left.addWidget(self.status)
        left.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addWidget(self.curves, 3)
        self._set_running(False)

    def _browse(self, edit: QLineEdit, folder: bool) -> None:
        path = (QFileDialog.getExistingDirectory(self, "Choose a folder") if folder
                else QFileDialog.getOpenFileName(self, "Choose a file", "", "Checkpoints (*.pt)")[0])
        if path:
            edit.setText(path)

    def _browse_recipe(self) -> None:
        path = QFileDialog.getOpenFileName(self, "Choose a recipe", "", "Recipes (*.json)")[0]
        if path:
            self.recipe.setText(path)
            self.load_recipe()

    def load_recipe(self) -> bool:
        """Fill the form from the recipe file; its other settings are kept for :meth:`config`."""
        from matting_studio.training.config import load_recipe

        try:
            values = load_recipe(Path(self.recipe.text().strip())) if self.recipe.text().strip() else {}
        except Exception as exc:  # noqa: BLE001 - a message, never a crash
            self.error.emit(user_message(exc))
            return False
        self.recipe_settings = values
        for key, box in (("steps", self.steps), ("batch_size", self.batch), ("crop", self.crop),
                         ("val_every", self.val_every)):
            if isinstance(values.get(key), int):
                box.setValue(values[key])
        if isinstance(values.get("lr"), (int, float)):
            self.lr.setValue(float(values["lr"]))
        if values.get("size") in ("lite", "paper"):
            self.size.setCurrentText(values["size"])
        self.status.setText(f"Recipe loaded: {Path(self.recipe.text()).name}" if values else "No recipe")
        return True

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.use_button.setEnabled(not running and self.last_checkpoint is not None)

    def config(self):
        """The recipe's settings with the form's on top, checked by :class:`TrainConfig` itself."""
        from matting_studio.training.config import TrainConfig

        def path(edit):
            return Path(edit.text()) if edit.text().strip() else None

        if path(self.backgrounds) is None or path(self.out) is None:
            raise ValueError("Choose a backgrounds folder and an output folder.")
        values = {k: v for k, v in self.recipe_settings.items() if k != "pool_dir"}
        values.update(model=self.model.currentText(), data_dir=path(self.data), backgrounds_dir=path(self.backgrounds),
                      out_dir=path(self.out), steps=self.steps.value(), unlabelled_dir=path(self.unlabelled),
                      teacher=path(self.teacher), size=self.size.currentText(), batch_size=self.batch.value(),
                      crop=self.crop.value(), lr=self.lr.value(), val_every=self.val_every.value(),
                      checkpoint_every=self.val_every.value(), resume=self.resume_box.isChecked())
        if path(self.data) is None:
            values["synthetic_fraction"] = 1.0
        if values["model"] == "dlmng" and path(self.out) is not None and "pool_per_stem" in values:
            values["pool_dir"] = path(self.out) / "pool"  # the recipe's samples, made once, kept with the run
        return TrainConfig.from_dict(values)

    def start(self) -> None:
        from matting_studio.training.trainer import Trainer

        try:
            config = self.config()
            if (config.out_dir / "last.pt").exists() and not config.resume:
                raise ValueError(f"'{config.out_dir}' already holds a run: tick Resume or choose another folder.")
            self.trainer = Trainer(config)
        except Exception as exc:  # noqa: BLE001 - a message, never a crash
            self.error.emit(user_message(exc) if not isinstance(exc, ValueError) else str(exc))
            return
        self.curves.clear()
        self.progress.setRange(0, config.steps)
        self.thread = TrainingThread(self.trainer)
        self.thread.event.connect(self.on_event)
        self.thread.failed.connect(self.on_failed)
        self.thread.finished.connect(self._thread_finished)  # a method: dropped if the tab is deleted
        self._set_running(True)
        self.status.setText("Starting…")
        self.thread.start()

    def toggle_pause(self) -> None:
        if self.trainer is None:
            return
        if self.pause_button.text() == "Pause":
            self.trainer.pause()
            self.pause_button.setText("Resume")
            self.status.setText("Paused")
        else:
            self.trainer.resume()
            self.pause_button.setText("Pause")

    @property
    def paused(self) -> bool:
        """Paused by the user (steps already queued may still arrive; the status keeps saying so)."""
        return self.pause_button.text() == "Resume"

    def stop(self) -> None:
        if self.trainer is not None:
            self.trainer.stop()
            self.pause_button.setText("Pause")

    def on_event(self, event) -> None:
        if event.kind == "preparing":
            self.progress.setRange(0, max(1, event.total_steps))
            self.progress.setValue(event.step)
            self.status.setText(f"Preparing training samples: {event.step} of {event.total_steps}")
            if event.step == event.total_steps:
                self.progress.setRange(0, self.steps.value())
                self.progress.setValue(0)
            return
        if event.kind == "step":
            self.progress.setValue(event.step)
            self.curves.train.append((event.step, event.losses.get("total", 0.0)))
            minutes, seconds = divmod(int(event.eta_s), 60)
            self.status.setText(("Paused · " if self.paused else "") +
                                f"step {event.step}/{event.total_steps} · loss {event.losses.get('total', 0):.4f} · "
                                f"{event.images_per_s:.1f} img/s · ETA {minutes}:{seconds:02d}")
            if event.step % 5 == 0 or event.step == event.total_steps:
                self.curves.redraw()
        elif event.kind == "validation":
            self.curves.val.append((event.step, event.metrics.get("SAD", 0.0)))
            self.curves.redraw()
        elif event.kind == "resumed":
            self.status.setText(f"Resumed from {Path(event.path).name} at step {event.step}")
        elif event.kind in ("checkpoint", "done") and event.path is not None:
            self.last_checkpoint = Path(event.path)
        if event.kind in ("done", "stopped"):
            self.status.setText(f"{'Finished' if event.kind == 'done' else 'Stopped'} at step {event.step}")
            self.curves.redraw()

    def _thread_finished(self) -> None:
        self._set_running(False)

    def on_failed(self, message: str) -> None:
        self.status.setText(message)
        self.error.emit(message)

    def shutdown(self) -> None:
        if self.thread is not None and self.thread.isRunning():
            self.trainer.stop()
            self.thread.wait(10000)


def _default_recipe() -> Optional[Path]:
    """The recipe the shipped DLMN-G was trained with, if this install has it."""
    from matting_studio.engine import weights

    path = weights.BUNDLED_DIR / "dlmng-lite.recipe.json"
    return path if path.is_file() else None
