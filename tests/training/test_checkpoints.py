"""Crash safety of training checkpoints: the cases of runs killed with SIGKILL while a checkpoint is written, a
truncated ``last.pt``, leftover temporary files, and the files' permissions."""

from __future__ import annotations

import os
import stat
import textwrap

import pytest
import torch

from matting_studio.core import atomic
from matting_studio.core.errors import WeightsError
from matting_studio.training import checkpoints
from matting_studio.training.trainer import TrainConfig, Trainer

# A child killed half-way through writing a checkpoint: ``save_checkpoint`` is ``atomic_write`` of torch.save's
# bytes, so the child writes half of the bytes of a real checkpoint (argv[2]) to argv[1] that way. It imports no
# torch, which keeps each kill well under a second.
KILLED_SAVE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from matting_studio.core.atomic import atomic_write

    data = Path(sys.argv[2]).read_bytes()

    def half(handle):
        handle.write(data[: len(data) // 2])
        handle.flush()
        print("writing", flush=True)
        time.sleep(120)

    atomic_write(Path(sys.argv[1]), half)
""")


def kill_saving(kill_while_writing, target, step, scratch):
    """Kill a child while it writes the checkpoint of ``step`` to ``target``."""
    whole = checkpoints.save_checkpoint(scratch / f"whole_{step}.pt", payload(step))
    kill_while_writing(KILLED_SAVE, target, whole)


def payload(step: int) -> dict:
    return {"model": {"w": torch.full((64,), float(step))}, "optimizer": {}, "scheduler": {}, "step": step,
            "rng": checkpoints.rng_state()}


def temps(folder):
    return [p for p in folder.iterdir() if atomic.TEMP_NAME.match(p.name)]


def test_killed_while_the_first_last_pt_is_written_resumes_from_the_step_file(tmp_path, kill_while_writing):
    checkpoints.save_checkpoint(tmp_path / "step_0000010.pt", payload(10))
    kill_saving(kill_while_writing, tmp_path / "last.pt", 10, tmp_path / "scratch")
    assert not (tmp_path / "last.pt").exists() and len(temps(tmp_path)) == 1
    found = checkpoints.latest_complete(tmp_path)
    assert found.path.name == "step_0000010.pt" and found.step == 10
    assert found.describe() == "Resuming from step_0000010.pt (step 10)."
    assert temps(tmp_path) == []  # the killed writer's partial file is gone


def test_killed_while_a_later_last_pt_is_written_takes_the_newer_step_file(tmp_path, kill_while_writing):
    checkpoints.save_checkpoint(tmp_path / "step_0000010.pt", payload(10))
    checkpoints.save_checkpoint(tmp_path / "last.pt", payload(10))
    checkpoints.save_checkpoint(tmp_path / "step_0000020.pt", payload(20))
    kill_saving(kill_while_writing, tmp_path / "last.pt", 20, tmp_path / "scratch")
    assert checkpoints.load_checkpoint(tmp_path / "last.pt")["step"] == 10  # the old one is intact
    found = checkpoints.latest_complete(tmp_path)
    assert found.path.name == "step_0000020.pt" and found.step == 20
    assert torch.equal(found.checkpoint["model"]["w"], torch.full((64,), 20.0))


@pytest.mark.parametrize("keep", [0.5, 0.0])
def test_truncated_last_pt_falls_back_to_the_newest_readable_step_file(tmp_path, keep):
    for step in (10, 20, 30):
        checkpoints.save_checkpoint(tmp_path / f"step_{step:07d}.pt", payload(step))
    checkpoints.save_checkpoint(tmp_path / "last.pt", payload(30))
    newest = tmp_path / "step_0000030.pt"
    newest.write_bytes(newest.read_bytes()[:100])  # power loss: both files of the last checkpoint cut short
    last = tmp_path / "last.pt"
    last.write_bytes(last.read_bytes()[: int(last.stat().st_size * keep)])
    found = checkpoints.latest_complete(tmp_path)
    assert found.path.name == "step_0000020.pt" and found.step == 20


def test_last_pt_wins_when_it_is_newest_and_a_checkpoint_without_resume_state_is_passed_over(tmp_path):
    checkpoints.save_checkpoint(tmp_path / "step_0000010.pt", payload(10))
    checkpoints.save_checkpoint(tmp_path / "last.pt", payload(12))  # written on stop, between step files
    assert checkpoints.latest_complete(tmp_path).path.name == "last.pt"
    checkpoints.save_checkpoint(tmp_path / "step_0000020.pt", {"model": {}, "step": 20})  # weights only
    assert checkpoints.latest_complete(tmp_path).step == 12


def test_no_checkpoints_is_none_and_only_unreadable_ones_is_a_clear_error(tmp_path):
    assert checkpoints.latest_complete(tmp_path) is None and not checkpoints.has_checkpoints(tmp_path)
    (tmp_path / "last.pt").write_bytes(b"\x00" * 10)
    (tmp_path / "step_0000010.pt").write_bytes(b"")
    with pytest.raises(WeightsError, match="No checkpoint .* can be read"):
        checkpoints.latest_complete(tmp_path)


def test_checkpoints_are_written_with_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = checkpoints.save_checkpoint(tmp_path / "last.pt", payload(1))
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_trainer_resumes_from_the_step_file_after_a_kill_during_the_first_last_pt(tiny_dataset, tmp_path,
                                                                                  kill_while_writing):
    data, bg = tiny_dataset
    run = tmp_path / "run"
    cfg = dict(model="dlmng", data_dir=data, backgrounds_dir=bg, out_dir=run, steps=4, batch_size=1, crop=32,
               val_every=100, checkpoint_every=2, device="cpu", val_samples=1, val_stems=["s2"])
    trainer = Trainer(TrainConfig(**cfg))
    for event in trainer.events():
        if event.kind == "checkpoint" and event.step == 2:
            break
    (run / "last.pt").unlink()  # as if the kill came while last.pt was first written
    kill_saving(kill_while_writing, run / "last.pt", 2, tmp_path)
    events = list(Trainer(TrainConfig(**cfg, resume=True)).events())
    assert (events[0].kind, events[0].step, events[0].path.name) == ("resumed", 2, "step_0000002.pt")
    assert [e.step for e in events if e.kind == "step"] == [3, 4]  # not a silent restart from step 1
    assert temps(run) == []
