"""Training / validation curves: appended to ``curves.csv`` and drawn to ``curves.png``."""

from __future__ import annotations

import csv
from pathlib import Path

FIELDS = ["step", "split", "loss", "SAD", "MSE", "lr"]


def append_row(out_dir: Path, row: dict) -> None:
    path = Path(out_dir) / "curves.csv"
    new = not path.exists()
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerow({k: row.get(k, "") for k in FIELDS})


def read_rows(out_dir: Path) -> list[dict]:
    path = Path(out_dir) / "curves.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def truncate_after(out_dir: Path, step: int) -> None:
    """Drop rows after ``step`` (a resumed run rewrites them)."""
    rows = [r for r in read_rows(out_dir) if int(r["step"]) <= step]
    path = Path(out_dir) / "curves.csv"
    if path.exists():
        path.unlink()
    for r in rows:
        append_row(out_dir, r)


def plot(out_dir: Path) -> Path:
    """Draw training loss and validation SAD against the step (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rows = read_rows(out_dir)
    train = [(int(r["step"]), float(r["loss"])) for r in rows if r["split"] == "train" and r["loss"]]
    val = [(int(r["step"]), float(r["SAD"]), float(r["loss"] or "nan")) for r in rows if r["split"] == "val"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    if train:
        ax1.plot(*zip(*train), lw=0.8, label="train loss")
    if val:
        ax1.plot([v[0] for v in val], [v[2] for v in val], "o-", label="validation loss")
        ax2.plot([v[0] for v in val], [v[1] for v in val], "o-", color="C1")
    ax1.set_xlabel("step"), ax1.set_ylabel("loss"), ax1.set_yscale("log"), ax1.legend()
    ax2.set_xlabel("step"), ax2.set_ylabel("validation SAD (per crop, /1000)")
    fig.tight_layout()
    path = Path(out_dir) / "curves.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
