"""A clip converted end to end, as a resumable job: matte every frame, then composite and encode.

Pass 1 writes each frame's RGBA cut-out as ``frame_NNNNNN.png`` into a work folder (the output itself for a
PNG sequence, else a hidden ``.NAME.frames/`` beside the output video) and, every
``CHECKPOINT_EVERY`` frames and on cancel, the temporal state; a later run of the same job on the same
source resumes after the last checkpoint with identical results. Pass 2 (video outputs) composites the
cut-outs onto the background, encodes at the source's frame rate with its audio, publishes the video
atomically and removes the work folder. Memory stays flat: a few frames are held at any time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional, Union

import cv2
import numpy as np

from matting_studio.core.atomic import atomic_write_bytes
from matting_studio.core.compositing import composite, cutout_rgba
from matting_studio.core.errors import Cancelled, ImageWriteError, OutputExistsError
from matting_studio.core.progress import CancelToken, ProgressFn, check_cancel, report
from matting_studio.video.backgrounds import Background, background_frames
from matting_studio.video.clip import ClipMatting, VideoOptions
from matting_studio.video.cues import frames_with_cues
from matting_studio.video.errors import VideoReadError
from matting_studio.video.sinks import VideoSink, encoding_for
from matting_studio.video.sources import (
    FrameSource, ImageSequenceSource, VideoFileSource, is_video_path, open_source,
)

FRAME_NAME = "frame_{:06d}.png"
JOB_FILE = "job.json"
STATE_FILE = "state.npz"
CHECKPOINT_EVERY = 25  # frames between saved temporal states (a crash redoes at most this many)
MATTING_SHARE = 0.9  # of the progress bar (encoding is the rest)


@dataclass
class ConvertResult:
    path: Path
    frames: int
    resumed_from: int  # first frame matted by this run (0: from the start)
    matting_seconds: float
    total_seconds: float

    @property
    def matting_fps(self) -> float:
        matted = self.frames - self.resumed_from
        return matted / self.matting_seconds if self.matting_seconds > 0 else 0.0


class FrameStore:
    """The folder of per-frame RGBA cut-outs, the job description and the temporal state."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def frame_path(self, index: int) -> Path:
        return self.folder / FRAME_NAME.format(index)

    def write(self, index: int, rgba: np.ndarray) -> None:
        """``rgba`` ``(H, W, 4)`` float in [0, 1] → 8-bit PNG, atomically."""
        bgra = cv2.cvtColor((np.clip(rgba, 0, 1) * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGBA2BGRA)
        ok, data = cv2.imencode(".png", bgra, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise ImageWriteError(f"Frame {index + 1} could not be encoded as PNG.")
        atomic_write_bytes(self.frame_path(index), data.tobytes())

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as ``(H, W, 4)`` uint8 straight RGBA."""
        bgra = cv2.imread(str(self.frame_path(index)), cv2.IMREAD_UNCHANGED)
        if bgra is None or bgra.ndim != 3 or bgra.shape[2] != 4:
            raise VideoReadError(f"The cached frame '{self.frame_path(index)}' is missing or damaged; "
                                 "convert again with --force.")
        return cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)

    def job(self) -> Optional[dict]:
        try:
            return json.loads((self.folder / JOB_FILE).read_text())
        except (OSError, ValueError):
            return None

    def write_job(self, job: dict) -> None:
        atomic_write_bytes(self.folder / JOB_FILE, json.dumps(job, indent=1).encode())

    def save_state(self, last_frame: int, state: dict[str, np.ndarray]) -> None:
        import io

        buffer = io.BytesIO()
        np.savez(buffer, last_frame=np.int64(last_frame), **state)
        atomic_write_bytes(self.folder / STATE_FILE, buffer.getvalue())

    def load_state(self) -> tuple[int, dict[str, np.ndarray]]:
        """``(last frame done, state)``; ``(-1, {})`` when there is none."""
        try:
            with np.load(self.folder / STATE_FILE) as data:
                return int(data["last_frame"]), {k: data[k] for k in data.files if k != "last_frame"}
        except (OSError, ValueError, KeyError):
            return -1, {}

    def clear(self) -> None:
        """Remove what this package wrote (frames, job, state), nothing else."""
        for path in self.folder.glob("frame_*.png"):
            path.unlink()
        for name in (JOB_FILE, STATE_FILE):
            (self.folder / name).unlink(missing_ok=True)


class FrameWriter:
    """Writes the cut-outs of a :class:`FrameStore` in a thread while the next frame is matted (PNG encoding
    releases the GIL); at most ``MAX_PENDING`` frames wait, so memory stays flat. A failed write raises at the next
    :meth:`write` or :meth:`flush`."""

    MAX_PENDING = 2

    def __init__(self, store: FrameStore) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="frame-writer")
        self._pending = deque()

    def write(self, index: int, foreground: np.ndarray, alpha: np.ndarray) -> None:
        """Queue frame ``index``'s cut-out: foreground ``(H, W, 3)`` and alpha ``(H, W)``, float in [0, 1]."""
        while len(self._pending) >= self.MAX_PENDING:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(lambda: self.store.write(index, cutout_rgba(foreground, alpha))))

    def flush(self) -> None:
        """Wait until every queued frame is on disk."""
        while self._pending:
            self._pending.popleft().result()

    def __enter__(self) -> "FrameWriter":
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self.flush()
        finally:
            self._pool.shutdown(wait=True)


def _identity(source: FrameSource, pipeline, options: VideoOptions) -> dict:
    """What a resumed job must share with the one it continues."""
    files = [source.path] if isinstance(source, VideoFileSource) else source.files
    return {
        "source": str(source.path.resolve()),
        "size": [source.info.width, source.info.height],
        "source_files": len(files),
        "frame_names": hashlib.sha1("\n".join(p.name for p in files).encode()).hexdigest(),  # which, in which order
        "source_mtime": max(p.stat().st_mtime for p in files),
        "method": pipeline.method,
        "segmenter": pipeline.segmenter_name,
        "options": asdict(options),
    }


def work_folder(output: Path) -> Path:
    """Where the cut-outs of ``output`` are made: the folder itself, or a hidden one beside a video."""
    return output.parent / f".{output.name}.frames" if is_video_path(output) else output


def convert(
    source_path: Union[Path, FrameSource],
    output: Path,
    *,
    pipeline,
    background: Optional[Background] = None,
    options: VideoOptions = VideoOptions(),
    fps: Optional[Fraction] = None,
    overwrite: bool = False,
    progress: Optional[ProgressFn] = None,
    cancel: Optional[CancelToken] = None,
) -> ConvertResult:
    """Convert ``source_path`` (a video or a folder of numbered frames, or an opened source such as a burst) into
    ``output``.

    ``output``: a video file (``.mp4 .mov .webm .mkv``; transparent when ``background`` is None) or a folder
    for the RGBA PNG sequence. ``fps`` sets an image sequence's frame rate. Raises ``Cancelled`` (the work
    done so far is kept for a resume), :class:`OutputExistsError` before any work if ``output`` exists and
    ``overwrite`` is False.
    """
    t_start = time.perf_counter()
    output = Path(output)
    if isinstance(source_path, (VideoFileSource, ImageSequenceSource)):
        source, source_path = source_path, source_path.path
    else:
        source_path = Path(source_path)
        source = open_source(source_path, fps=fps)
    to_video = is_video_path(output)
    if output.resolve() == source_path.resolve():
        raise OutputExistsError(f"The output '{output}' is the input; choose another -o.")
    if to_video:
        encoding_for(output, alpha=background is None)  # an impossible request fails before any work
        if output.exists() and not overwrite:
            raise OutputExistsError(f"'{output}' already exists; use --force to overwrite it.")
    elif output.exists() and not output.is_dir():
        raise OutputExistsError(f"'{output}' is a file; a PNG sequence needs a folder (or give a video name).")
    elif background is not None:
        raise OutputExistsError("A PNG sequence holds the transparent cut-outs; drop --background, or write a video.")

    store = FrameStore(work_folder(output))
    identity = _identity(source, pipeline, options)
    job = store.job()
    same_job = job is not None and job.get("identity") == identity
    if same_job and job.get("done") and not to_video and not overwrite:
        raise OutputExistsError(f"'{output}' already holds this clip's frames; use --force to make them again.")
    if overwrite or not same_job:
        if not to_video and store.folder.exists() and any(store.folder.iterdir()) and not overwrite:
            raise OutputExistsError(f"The folder '{output}' is not empty; use --force to write the frames into it.")
        if store.folder.exists():
            store.clear()
        job = None
    store.folder.mkdir(parents=True, exist_ok=True)
    last_done, state = store.load_state() if job is not None else (-1, {})
    frames_done = job.get("frames") if job is not None and job.get("done") else None
    store.write_job({"identity": identity, "done": frames_done is not None, "frames": frames_done})

    t_matting = time.perf_counter()
    total = frames_done or source.info.frame_count
    matting_report = lambda i: report(progress, MATTING_SHARE * (i + 1) / max(total or (i + 1), i + 1),
                                      f"Matting frame {i + 1}" + (f" of {total}" if total else ""))
    if frames_done is None:
        clip = ClipMatting(pipeline, options)
        clip.load_state(state)
        done = last_done
        with FrameWriter(store) as writer:
            try:
                for frame in frames_with_cues(source.frames(), align=options.align):
                    check_cancel(cancel)
                    if frame.index <= last_done:
                        continue
                    matte = clip.step(frame, cancel=cancel)
                    writer.write(frame.index, matte.foreground, matte.alpha)
                    done = frame.index
                    if (done + 1) % CHECKPOINT_EVERY == 0:
                        writer.flush()  # a saved state promises every frame up to it is on disk
                        store.save_state(done, clip.state())
                    matting_report(done)
            except Cancelled:
                writer.flush()
                store.save_state(done, clip.state())
                raise
            writer.flush()
        frames_done = done + 1
        store.save_state(done, clip.state())
        store.write_job({"identity": identity, "done": True, "frames": frames_done})
    matting_seconds = time.perf_counter() - t_matting

    if to_video:
        _encode(store, frames_done, source, output, background, overwrite, progress, cancel)
        shutil.rmtree(store.folder)
    report(progress, 1.0, "Done")
    return ConvertResult(output, frames_done, last_done + 1, matting_seconds, time.perf_counter() - t_start)


def _encode(store: FrameStore, count: int, source: FrameSource, output: Path, background: Optional[Background],
            overwrite: bool, progress: Optional[ProgressFn], cancel: Optional[CancelToken]) -> None:
    info = source.info
    audio = source.path if isinstance(source, VideoFileSource) and info.has_audio else None
    plates = None
    if background is not None:
        originals = source.frames() if background.kind == "blur" else iter(())
        plates = background_frames(background, originals, (info.height, info.width))
    with VideoSink(output, fps=info.fps, size=(info.width, info.height), alpha=background is None,
                   audio_from=audio, overwrite=overwrite) as sink:
        for index in range(count):
            check_cancel(cancel)
            rgba = store.read(index)
            if plates is None:
                sink.write(rgba)
            else:
                rgba = rgba.astype(np.float32) * np.float32(1 / 255)
                sink.write(composite(rgba[..., :3], rgba[..., 3], next(plates)))
            report(progress, MATTING_SHARE + (1 - MATTING_SHARE) * (index + 1) / count, f"Encoding frame {index + 1}")
