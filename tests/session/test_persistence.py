"""A session's edits survive a restart: kept per image file, ignored when the file changed or the record is bad."""

from __future__ import annotations

import os

import numpy as np

from matting_studio.core import imageio
from matting_studio.core.alpha_adjust import EdgeAdjust
from matting_studio.core.trimap import FOREGROUND, Stroke
from matting_studio.session import Band, MattingSession
from matting_studio.session.persistence import SessionStore


def _edited_session(stages, image):
    session = MattingSession(stages, image, main_method="a", comparison=["b"])
    session.start()
    session.set_band(Band(5, 9))
    session.add_stroke(Stroke(((3.0, 3.0), (9.5, 4.0)), 2.0, FOREGROUND))
    session.set_decontamination(0.25)
    session.set_edge(EdgeAdjust(feather=1.5))
    session.undo()  # the redo branch is kept too
    session.set_main_method("b")
    return session


def test_edits_undo_history_and_method_come_back_for_the_same_file(stages, synthetic_composite, tmp_path):
    path = tmp_path / "photo.png"
    imageio.save_png(path, synthetic_composite["image"])
    store = SessionStore(tmp_path / "sessions")
    before = _edited_session(stages, synthetic_composite["image"])
    store.save(path, before)
    saved = store.load(path)
    after = MattingSession(stages, synthetic_composite["image"], main_method="a")
    after.restore(saved.history, saved.main_method)
    after.start()
    assert after.main_method == "b" and after.band == Band(5, 9) and after.strokes == before.strokes
    assert np.array_equal(after.trimap, before.trimap) and after.decontamination == 0.25
    assert after.history.can_redo and after.history.redo_label == "edge adjustment"
    after.redo()
    assert after.edge == EdgeAdjust(feather=1.5)


def test_a_changed_file_or_a_damaged_record_starts_afresh(stages, synthetic_composite, tmp_path):
    path = tmp_path / "photo.png"
    imageio.save_png(path, synthetic_composite["image"])
    store = SessionStore(tmp_path / "sessions")
    written = store.save(path, _edited_session(stages, synthetic_composite["image"]))
    written.write_text("{not json")
    assert store.load(path) is None
    store.save(path, _edited_session(stages, synthetic_composite["image"]))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # edited elsewhere
    assert store.load(path) is None
    assert store.load(tmp_path / "missing.png") is None


def test_a_record_made_before_the_decontamination_amount_reads_as_fully_decontaminated():
    from matting_studio.session.history import Edit, EditHistory
    from matting_studio.session.persistence import from_dict, to_dict

    history = EditHistory()
    history.push(Edit(decontamination=0.5), "decontamination")
    record = to_dict(history, "a")
    del record["entries"][1]["edit"]["decontamination"]
    assert from_dict(record).history.entries[1].edit.decontamination == 1.0
