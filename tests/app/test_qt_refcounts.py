"""Emitting a Qt signal must not drain the reference counts of Python's singletons.

PySide6 6.12.0's ``Signal.emit`` returns ``True`` without a reference of its own: every emit took one from
``True``, and after some thousand emits (the progress signals of a long session) the interpreter aborted with
"deallocating True or False" (seen after 107 images in ``benchmarks/long_runs.py``). pyproject.toml keeps
PySide6 below 6.12; this test fails on any version with that bug.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    value = Signal(object)
    progress = Signal(float, str)
    bare = Signal()


def test_emitting_signals_keeps_the_reference_counts_of_true_false_and_none(qapp):
    emitter = _Emitter()
    seen = []
    emitter.value.connect(seen.append)
    emitter.progress.connect(lambda fraction, message: seen.append(fraction))
    emitter.bare.connect(lambda: seen.append(None))
    before = [sys.getrefcount(v) for v in (True, False, None)]
    for _ in range(100):
        emitter.value.emit(None)
        emitter.progress.emit(0.5, "x")
        emitter.bare.emit()
    seen.clear()
    after = [sys.getrefcount(v) for v in (True, False, None)]
    assert all(a >= b - 50 for a, b in zip(after, before)), (before, after)  # 300 emits: the bug shows as -300
