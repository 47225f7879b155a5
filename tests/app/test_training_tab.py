"""The training tab's status while paused."""

from __future__ import annotations

from matting_studio.training.events import TrainEvent


class FakeTrainer:
    def __init__(self) -> None:
        self.calls = []

    def pause(self):
        self.calls.append("pause")

    def resume(self):
        self.calls.append("resume")

    def stop(self):
        self.calls.append("stop")


def test_the_status_says_paused_while_paused(window):
    tab = window.training
    tab.trainer = FakeTrainer()
    tab._set_running(True)
    tab.toggle_pause()
    assert tab.trainer.calls == ["pause"] and "Paused" in tab.status.text()
    tab.on_event(TrainEvent("step", 7, 100, losses={"total": 0.5}))  # a step that finished as the user paused
    assert "Paused" in tab.status.text() and "step 7/100" in tab.status.text()
    tab.toggle_pause()
    tab.on_event(TrainEvent("step", 8, 100, losses={"total": 0.4}))
    assert tab.trainer.calls == ["pause", "resume"] and "Paused" not in tab.status.text()
