"""The hostile-input corpus through the window's open path (and the compositor's background): a file opens, or
a one-line message is shown and the window stays usable."""

from __future__ import annotations

import numpy as np


def test_every_corpus_file_opens_or_shows_one_message(window, hostile_corpus, composite_files):
    for name, case in hostile_corpus.items():
        before = len(window.errors)
        opened = window.open_image(case.path)
        if case.loads:
            assert opened and window.errors[before:] == [], (name, window.errors[before:])
            assert window.matting.panes["input"].array.shape[:2] == case.shape, name
        else:
            assert not opened and len(window.errors) == before + 1, name
            assert "\n" not in window.errors[-1] and case.path.name in window.errors[-1], name
    assert window.open_image(composite_files)  # still usable after all of it
    assert window.matting.panes["input"].array is not None and window.isVisible()


def test_a_bad_background_file_is_a_message_and_one_of_another_size_composites(window, hostile_corpus,
                                                                               synthetic_composite):
    from matting_studio.session.compositing import BackgroundMode, CompositeOptions, render_composite

    compositor = window.compositor
    messages = []
    compositor.error.connect(messages.append)
    compositor.set_background_file(str(hostile_corpus["truncated_png"].path))
    assert len(messages) == 1 and "truncated.png" in messages[0]
    compositor.set_background_file(str(hostile_corpus["one_by_4000"].path))  # nothing like the image's size
    assert len(messages) == 1 and compositor.background.shape == (1, 4000, 3)
    s = synthetic_composite
    shown = render_composite(s["image"], s["alpha"], s["fg"],
                             CompositeOptions(mode=BackgroundMode.IMAGE, background=compositor.background))
    assert shown.shape == s["image"].shape and np.isfinite(shown).all() and 0 <= shown.min() and shown.max() <= 1


def test_no_subject_found_shows_an_empty_alpha_and_says_so(window, qtbot, monkeypatch, synthetic_composite):
    from matting_studio.engine.pipeline import NO_SUBJECT

    monkeypatch.setattr(window.matting.pipeline, "segment",
                        lambda image, **kw: np.zeros(image.shape[:2], np.float32))
    shown = []
    window.matting.status.connect(shown.append)
    with qtbot.waitSignal(window.matting.result_ready, timeout=120000, check_params_cb=lambda m: m == "cf"):
        window.matting.load(synthetic_composite["image"])
    assert NO_SUBJECT in shown and "no subject found" in window.matting.panes["soft"].detail_label.text()
    assert window.matting.panes["cf"].array is not None and not window.matting.panes["cf"].array.any()
    assert window.errors == []  # a warning, not an error dialog
