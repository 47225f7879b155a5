"""Helpers of the video tests: small clips (a disc over a texture, written with PyAV directly), a stand-in
pipeline."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from matting_studio.core.motion import grayscale
from matting_studio.core.trimap import trimap_from_mask
from matting_studio.engine.pipeline import PipelineResult

FPS = Fraction(24)


def disc_frames(n: int, w: int = 96, h: int = 64, *, step: float = 3.0, noise: float = 0.0,
                shake: float = 0.0, seed: int = 0) -> list[np.ndarray]:
    """``n`` RGB float32 frames: a bright disc moving ``step`` px per frame to the right over a texture;
    ``shake`` moves the whole picture by up to that many px (a hand-held camera); ``noise`` is sensor noise."""
    rng = np.random.default_rng(seed)
    pad = int(np.ceil(shake)) + 2
    yy, xx = np.mgrid[0:h + 2 * pad, 0:w + 2 * pad].astype(np.float32)
    texture = cv2.GaussianBlur(np.random.default_rng(99).random(xx.shape).astype(np.float32), (0, 0), 1.5)
    texture = 0.25 + 1.5 * (texture - texture.mean())  # a non-periodic texture (periodic ones fool alignment)
    frames = []
    for i in range(n):
        cx, cy = pad + w / 3 + step * i, pad + h / 2
        alpha = np.clip(h / 4 - np.hypot(xx - cx, yy - cy) + 0.5, 0, 1)[..., None]
        big = alpha * np.array([0.9, 0.8, 0.3], np.float32) + (1 - alpha) * texture[..., None]
        ox, oy = (rng.integers(-int(shake), int(shake) + 1, 2) if shake else (0, 0))
        frame = big[pad + oy:pad + oy + h, pad + ox:pad + ox + w]
        frame = frame + rng.normal(0, noise, frame.shape) if noise else frame
        frames.append(np.clip(frame, 0, 1).astype(np.float32))
    return frames


def write_clip(path: Path, frames: list[np.ndarray], fps: Fraction = FPS, *, audio: bool = False,
               codec: str = "libx264") -> Path:
    """Encode ``frames`` (float RGB) with PyAV (not with the package under test); optional AAC tone."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": "1"} if codec == "libx264" else {}
        tone = None
        if audio:
            tone = container.add_stream("aac", rate=44100)
            tone.layout = "mono"
        for i, frame in enumerate(frames):
            vf = av.VideoFrame.from_ndarray((frame * 255 + 0.5).astype(np.uint8), format="rgb24")
            vf.pts = i
            container.mux(stream.encode(vf))
        container.mux(stream.encode(None))
        if tone is not None:
            samples = int(44100 * len(frames) / fps)
            wave = (0.2 * np.sin(np.arange(samples) * 2 * np.pi * 440 / 44100)).astype(np.float32)[None]
            af = av.AudioFrame.from_ndarray(wave, format="flt", layout="mono")
            af.sample_rate, af.pts = 44100, 0
            container.mux(tone.encode(af))
            container.mux(tone.encode(None))
    return path


def decode(path: Path, *, alpha: bool = False) -> tuple[list[np.ndarray], object]:
    """All frames of ``path`` as uint8 (RGBA when ``alpha``; VP9's alpha needs the libvpx decoder) + the stream's
    average rate."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate
        fmt = "rgba" if alpha else "rgb24"
        if alpha and stream.codec_context.name == "vp9":
            decoder = av.CodecContext.create("libvpx-vp9", "r")
            frames = [f.to_ndarray(format=fmt) for p in container.demux(stream) for f in decoder.decode(p)]
        else:
            frames = [f.to_ndarray(format=fmt) for f in container.decode(stream)]
    return frames, rate


class FakePipeline:
    """Stands in for ``engine.pipeline.Pipeline``: the soft mask is a threshold of the luma (so sensor noise
    makes it flicker), the trimap comes from it, the alpha is the soft mask. Records the motion cues given."""

    method = "fake"
    segmenter_name = "fake"

    def __init__(self) -> None:
        self.motions: list = []
        self.methods: list = []  # the method each frame was matted with

    def segment(self, image, *, progress=None, cancel=None):
        return np.clip((grayscale(image) - 0.45) * 6.0, 0, 1).astype(np.float32)

    def method_for(self, image, *, trimap_given=False):
        return self.method

    def run(self, image, *, trimap=None, soft_mask=None, motion=None, method=None, progress=None, cancel=None):
        if cancel is not None:
            cancel.raise_if_cancelled()
        self.motions.append(motion)
        self.methods.append(method)
        if soft_mask is None:
            soft_mask = self.segment(image)
        trimap = trimap_from_mask(soft_mask, band=3) if trimap is None else trimap
        alpha = np.where(trimap == 0.5, soft_mask, trimap).astype(np.float32)
        return PipelineResult(image, soft_mask, trimap, alpha, image, "fake", "fake", {})
