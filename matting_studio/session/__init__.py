"""A Qt-free matting session: one image's state (strokes, undo history, band, chosen method, results) and
the stages that fill it, with plain-Python events. The app's widgets subscribe and render (napari's
``components`` versus ``_qt`` split); headless code and tests drive a session without Qt."""

from matting_studio.session.compositing import BackgroundMode, CompositeOptions, CutoutView, cutout_view, render_composite
from matting_studio.session.events import EventEmitter, SessionEvent
from matting_studio.session.export import KINDS, BatchExportOptions, batch_export, export_array, free_name
from matting_studio.session.history import Band, Edit, EditHistory
from matting_studio.session.matting_session import MattingSession
from matting_studio.session.results import MethodResult
from matting_studio.session.runner import ImmediateRunner, Runner

__all__ = [
    "BackgroundMode", "Band", "CutoutView", "cutout_view", "BatchExportOptions", "CompositeOptions", "Edit", "EditHistory", "EventEmitter",
    "ImmediateRunner", "KINDS", "MattingSession", "MethodResult", "Runner", "SessionEvent", "batch_export",
    "export_array", "free_name", "render_composite",
]
