"""A whole matting session, driven without Qt."""

from __future__ import annotations

import numpy as np
import pytest

from matting_studio.core.alpha_adjust import EdgeAdjust, adjust_alpha
from matting_studio.core.errors import MattingError, TrimapError
from matting_studio.core.trimap import BACKGROUND, FOREGROUND, UNKNOWN, Stroke
from matting_studio.session import Band, MattingSession


def record(session):
    events = []
    session.events.connect(lambda e: events.append((e.kind, e.key)))
    return events


def test_a_whole_session_with_the_real_pipeline(synthetic_composite):
    from matting_studio.engine.pipeline import Pipeline

    s = synthetic_composite
    session = MattingSession(Pipeline(segmenter="object", method="cf"), s["image"], gt_alpha=s["alpha"],
                             trimap=s["trimap"], comparison=["knn"])
    events = record(session)
    session.start()
    assert ("result", "cf") in events and ("result", "knn") in events and ("composite", "composite") in events
    result = session.main_result()
    assert result.method == "cf" and result.alpha.shape == s["alpha"].shape and result.seconds > 0
    assert np.abs(result.alpha - s["alpha"]).mean() < 0.05
    assert set(result.metrics) == {"SAD", "MSE", "Grad", "Conn"} and result.metrics["SAD"] < 5
    assert session.composite_preview.shape == s["image"].shape


def test_auto_mode_segments_bands_and_mattes_in_order(stages, synthetic_composite):
    session = MattingSession(stages, synthetic_composite["image"], main_method="a", comparison=["b"])
    events = record(session)
    session.start()
    band = session.band
    assert stages.calls[:2] == ["segment", f"trimap {band.erode}/{band.dilate}"]
    assert set(np.unique(session.trimap)) == {BACKGROUND, UNKNOWN, FOREGROUND}
    assert events[:4] == [("started", "soft"), ("soft_mask", "soft"), ("started", "trimap"), ("trimap", "trimap")]
    assert session.run_methods() == ["a", "b"]
    assert ("progress", "a") in events and set(session.results) == {"a", "b"}
    assert session.results["a"].metrics == {}  # no ground truth


def test_a_band_change_recomputes_the_trimap_but_not_the_segmentation(stages, synthetic_composite):
    session = MattingSession(stages, synthetic_composite["image"])
    session.start()
    before = (session.trimap == UNKNOWN).sum()
    session.set_band(Band(session.band.erode, session.band.dilate + 6))
    assert stages.calls.count("segment") == 1
    assert (session.trimap == UNKNOWN).sum() > before
    assert session.history.undo_label.startswith("band")
    session.undo()
    assert (session.trimap == UNKNOWN).sum() == before
    with pytest.raises(TrimapError):
        session.set_band(Band(-1, 3))


def test_strokes_undo_and_redo_restore_the_trimap_exactly(stages, synthetic_composite):
    s = synthetic_composite
    session = MattingSession(stages, s["image"], trimap=s["trimap"])
    session.start()
    original = session.trimap.copy()
    session.add_stroke(Stroke(((3, 3), (14, 5)), 2.0, FOREGROUND))
    painted = session.trimap.copy()
    assert painted[4, 8] == FOREGROUND and original[4, 8] == BACKGROUND
    session.add_stroke(Stroke(((40, 32),), 3.0, UNKNOWN))
    assert session.history.undo_label == "brush stroke" and len(session.strokes) == 2
    assert session.undo() and session.undo() and not session.undo()
    assert np.array_equal(session.trimap, original) and session.strokes == ()
    assert session.redo()
    assert np.array_equal(session.trimap, painted)
    session.add_stroke(Stroke(((60, 10),), 2.0, BACKGROUND))  # a new edit drops the redo branch
    assert not session.history.can_redo and len(session.strokes) == 2
    with pytest.raises(TrimapError):
        session.add_stroke(Stroke(((1, 1),), 2.0, 0.3))


def test_a_trimap_without_known_pixels_is_reported_and_one_without_unknown_runs(stages, synthetic_composite):
    s = synthetic_composite
    session = MattingSession(stages, s["image"], trimap=s["trimap"])
    session.start()
    events = record(session)
    h, w = session.shape
    session.add_stroke(Stroke(((0, h / 2), (w, h / 2)), float(h), UNKNOWN))  # nothing known any more
    calls = len(stages.calls)
    assert session.run_methods() == []
    assert ("failed", "trimap") in events and len(stages.calls) == calls
    session.add_stroke(Stroke(((0, h / 2), (w, h / 2)), float(h), FOREGROUND))  # everything foreground
    assert session.run_methods() != []  # a fully known trimap is its own alpha, as in the pipeline


def test_the_main_method_can_change_and_reuses_its_result(stages, synthetic_composite):
    s = synthetic_composite
    session = MattingSession(stages, s["image"], trimap=s["trimap"], main_method="a", comparison=["b"])
    session.start()
    assert set(session.results) == {"a", "b"}
    calls = len(stages.calls)
    session.set_main_method("b")
    assert session.main_result().method == "b" and len(stages.calls) == calls  # not run again
    session.set_main_method("c")
    assert stages.calls[-1] == "matte c" and session.main_result().method == "c"


def test_a_suspended_session_keeps_its_work_and_resumes_what_is_missing(stages, held, synthetic_composite):
    s = synthetic_composite
    session = MattingSession(stages, s["image"], trimap=s["trimap"], runner=held, main_method="a", comparison=["b"])
    session.start()  # the trimap is composed at once; the methods are queued
    held.run("a")  # "b" is still running ...
    session.add_stroke(Stroke(((3, 3),), 2.0, FOREGROUND))
    session.suspend()  # ... and the user switches to another image
    assert session.running == set() and "b" in held.discarded
    session.start()  # back on this image: only the missing method runs
    assert list(held.queue) == ["b"]
    held.run_all()
    assert set(session.results) == {"a", "b"} and len(session.strokes) == 1 and session.history.can_undo


def test_a_superseded_band_job_never_sets_the_trimap(stages, held, synthetic_composite):
    session = MattingSession(stages, synthetic_composite["image"], runner=held)
    session.start()
    held.run_all()  # segmentation, then the default band
    first = session.band
    session.set_band(Band(first.erode + 2, first.dilate))
    session.set_band(Band(first.erode + 9, first.dilate))  # before the first change's job ran
    assert held.discarded == ["trimap"]
    held.run_all()
    assert stages.calls[-1] == f"trimap {first.erode + 9}/{first.dilate}"


def test_bad_inputs_raise_typed_errors(stages, synthetic_composite):
    s = synthetic_composite
    with pytest.raises(MattingError):
        MattingSession(stages, s["alpha"])
    with pytest.raises(MattingError):
        MattingSession(stages, s["image"], gt_alpha=s["alpha"][:10])
    with pytest.raises(TrimapError):
        MattingSession(stages, s["image"], trimap=s["trimap"][:, :10])


def test_the_edge_adjustment_makes_the_final_result_and_is_undoable(stages, synthetic_composite):
    s = synthetic_composite
    session = MattingSession(stages, s["image"], trimap=s["trimap"], main_method="a", comparison=["b"])
    events = record(session)
    session.start()
    raw = session.main_result()
    assert session.final is raw  # no adjustment: the main result itself
    calls = len(stages.calls)
    edge = EdgeAdjust(feather=2.0, shift=1.0)
    session.set_edge(edge)
    assert len(stages.calls) == calls  # no method re-runs
    assert np.array_equal(session.final.alpha, adjust_alpha(raw.alpha, edge)) and session.results["a"] is raw
    assert ("final", "edge") in events and events[-1] == ("composite", "composite")
    assert session.history.undo_label == "edge adjustment"
    session.undo()
    assert session.edge == EdgeAdjust() and session.final is raw
    session.redo()
    assert session.edge == edge and not np.array_equal(session.final.alpha, raw.alpha)
    session.set_main_method("b")  # the adjustment follows the main method
    assert session.final.method == "b"
    assert np.array_equal(session.final.alpha, adjust_alpha(session.results["b"].alpha, edge))
    session.add_stroke(Stroke(((3, 3),), 2.0, FOREGROUND))  # a stroke keeps the adjustment
    assert session.edge == edge


def test_the_decontamination_amount_blends_the_final_foreground_and_is_undoable(stages, synthetic_composite):
    from matting_studio.core.compositing import CompositingError, decontaminate

    s = synthetic_composite
    session = MattingSession(stages, s["image"], trimap=s["trimap"], main_method="a")
    session.start()
    raw = session.main_result()
    calls = len(stages.calls)
    session.set_decontamination(0.3)
    assert len(stages.calls) == calls  # no method re-runs
    assert np.allclose(session.final.foreground, decontaminate(s["image"], raw.foreground, 0.3))
    assert np.array_equal(session.final.alpha, raw.alpha)
    assert session.history.undo_label == "decontamination"
    session.set_edge(EdgeAdjust(feather=2.0))  # both apply together
    assert np.array_equal(session.final.alpha, adjust_alpha(raw.alpha, EdgeAdjust(feather=2.0)))
    assert np.allclose(session.final.foreground, decontaminate(s["image"], raw.foreground, 0.3))
    session.undo()
    session.undo()
    assert session.decontamination == 1.0 and session.final is raw
    with pytest.raises(CompositingError, match="decontamination"):
        session.set_decontamination(-0.1)


def test_a_superseded_edge_job_is_redone_with_the_latest_settings(stages, held, synthetic_composite):
    s = synthetic_composite
    session = MattingSession(stages, s["image"], trimap=s["trimap"], runner=held, main_method="a")
    session.start()
    held.run_all()
    session.set_edge(EdgeAdjust(feather=1.0))
    session.set_edge(EdgeAdjust(feather=3.0))  # before the first job ran
    held.run_all()
    assert np.array_equal(session.final.alpha, adjust_alpha(session.main_result().alpha, EdgeAdjust(feather=3.0)))


class ShapeRecordingStages:
    """Wraps the fake stages: records the image shape of every matte (a local solve mattes a crop) and
    returns alpha 0.25 on the unknown region, so pasted pixels can be told from the earlier result's."""

    def __init__(self, stages):
        self.stages, self.shapes = stages, []
        self.segmenter_name, self.method, self.warnings = stages.segmenter_name, stages.method, []

    def __getattr__(self, name):
        return getattr(self.stages, name)

    def matte(self, image, trimap, **kwargs):
        self.shapes.append(image.shape[:2])
        alpha = np.where(trimap == UNKNOWN, 0.25, trimap).astype(np.float32)
        return alpha, image


def test_a_refine_edge_stroke_solves_only_its_region_and_undo_solves_everything(stages, synthetic_composite):
    s = synthetic_composite
    rec = ShapeRecordingStages(stages)
    session = MattingSession(rec, s["image"], trimap=s["trimap"], main_method="a", comparison=["b"])
    events = record(session)
    session.start()
    before = session.results["a"].alpha.copy()
    h, w = session.shape
    rec.shapes.clear()
    stroke = Stroke(((w - 4.0, h - 4.0),), 3.0, UNKNOWN, refine=True)  # a small stroke in a corner
    session.add_stroke(stroke)
    assert ("trimap", "refine") in events  # the app does not re-run the methods for it
    assert len(rec.shapes) == 2 and all(sh[0] < h or sh[1] < w for sh in rec.shapes)  # a crop per method
    after = session.results["a"].alpha
    painted = session.trimap == UNKNOWN
    assert np.all(after[~painted] == session.trimap[~painted])
    far = np.zeros((h, w), bool)
    far[: h // 3, : w // 3] = True  # far from the stroke: nothing was solved there again
    assert np.array_equal(after[far], before[far])
    assert session.history.undo_label == "refine-edge stroke"
    events.clear()
    session.undo()
    assert ("trimap", "trimap") in events
    with pytest.raises(TrimapError, match="refine"):
        session.add_stroke(Stroke(((3, 3),), 2.0, FOREGROUND, refine=True))
