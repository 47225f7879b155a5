"""A session's edits kept across a restart: its whole undo history (strokes, band, edge adjustment and
decontamination amount per entry) and its main method, as a small JSON file per image in a folder of the app's
(``SessionStore``).

A file is keyed by the image's resolved path, size and modification time, so an image changed on disk starts
afresh instead of getting strokes painted for another picture. Unreadable or foreign files are ignored (the
user gets a fresh session, never an error); writes are atomic.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from matting_studio.core.alpha_adjust import EdgeAdjust
from matting_studio.core.atomic import atomic_write_bytes
from matting_studio.core.compositing import check_decontamination
from matting_studio.core.trimap import Stroke
from matting_studio.session.history import Band, Edit, EditHistory, _Entry

VERSION = 1


@dataclass(frozen=True)
class SavedSession:
    history: EditHistory
    main_method: str


def _edit_to_dict(edit: Edit) -> dict:
    return {"strokes": [{"points": [list(p) for p in s.points], "radius": s.radius, "value": s.value,
                         "refine": s.refine} for s in edit.strokes],
            "band": None if edit.band is None else [edit.band.erode, edit.band.dilate],
            "edge": {k: getattr(edit.edge, k) for k in ("smooth", "feather", "contrast", "shift")},
            "decontamination": edit.decontamination}


def _edit_from_dict(d: dict) -> Edit:
    strokes = tuple(Stroke(tuple(tuple(float(v) for v in p) for p in s["points"]), float(s["radius"]),
                           float(s["value"]), bool(s.get("refine", False))) for s in d["strokes"])
    band = None if d["band"] is None else Band(int(d["band"][0]), int(d["band"][1]))
    return Edit(strokes, band, EdgeAdjust(**{k: float(v) for k, v in d["edge"].items()}),
                check_decontamination(d.get("decontamination", 1.0)))  # absent in records made before it


def to_dict(history: EditHistory, main_method: str) -> dict:
    return {"version": VERSION, "main_method": main_method, "index": history.index,
            "entries": [{"label": e.label, "edit": _edit_to_dict(e.edit)} for e in history.entries]}


def from_dict(d: dict) -> SavedSession:
    """Raises ``KeyError`` / ``ValueError`` / ``TypeError`` (or a ``MattingError``) on a malformed record."""
    if d.get("version") != VERSION:
        raise ValueError("another version")
    entries = [_Entry(_edit_from_dict(e["edit"]), str(e["label"])) for e in d["entries"]]
    index = int(d["index"])
    if not entries or not 0 <= index < len(entries):
        raise ValueError("bad index")
    return SavedSession(EditHistory(entries, index), str(d["main_method"]))


class SessionStore:
    """``save(image_path, session)`` / ``load(image_path)`` in ``folder`` (created when first written)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, image_path: Path) -> Optional[Path]:
        try:
            path = Path(image_path).resolve()
            stat = path.stat()
        except OSError:
            return None
        key = hashlib.sha1(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()
        return self.folder / f"{key}.json"

    def save(self, image_path: Path, session) -> Optional[Path]:
        """Write the session's history and main method; None when the image is gone."""
        target = self.path_for(image_path)
        if target is None:
            return None
        data = to_dict(session.history, session.main_method)
        data["image"] = str(Path(image_path).resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write_bytes(target, json.dumps(data).encode("utf-8"))

    def load(self, image_path: Path) -> Optional[SavedSession]:
        """The saved edits of this exact image file, or None (none saved, changed on disk, unreadable)."""
        target = self.path_for(image_path)
        if target is None or not target.is_file():
            return None
        try:
            return from_dict(json.loads(target.read_text(encoding="utf-8")))
        except Exception:  # noqa: BLE001 - a damaged record means a fresh session, not an error
            return None
