"""Our PyTorch port of U²-Net-p (Qin et al., "U²-Net: Going deeper with nested U-structure for salient object
detection", 2020), the small salient-object model rembg uses; weights read from its ONNX file.

The ONNX export has batch norm folded into the convolutions, so every ``REBNCONV`` here is conv (with bias) +
ReLU. Weights are matched to our convolutions in the order the forward pass runs them, which is the order the
exporter wrote the graph's ``Conv`` nodes; shapes are checked one by one.
Input ``(B, 3, H, W)`` normalised as :func:`preprocess` does (the model was trained at 320×320) → seven
``(B, 1, H, W)`` sigmoid maps, the fused one first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from matting_studio.core.errors import WeightsError

INPUT_SIZE = 320
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


class ConvReLU(nn.Module):
    """3×3 conv (batch norm folded in) + ReLU, padding = dilation so the size is kept."""

    def __init__(self, in_ch: int, out_ch: int, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x))


def _up_like(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=target.shape[2:], mode="bilinear", align_corners=False)


class RSU(nn.Module):
    """Residual U-block of ``depth`` levels (RSU-7 … RSU-4); ``dilated`` is RSU-4F (no pooling, dilations 1-8)."""

    def __init__(self, depth: int, in_ch: int, mid_ch: int, out_ch: int, *, dilated: bool = False) -> None:
        super().__init__()
        self.depth, self.dilated = depth, dilated
        rates = [1, 2, 4, 8] if dilated else [1] * (depth - 1) + [2]
        self.conv_in = ConvReLU(in_ch, out_ch)
        self.encoders = nn.ModuleList(
            [ConvReLU(out_ch if i == 0 else mid_ch, mid_ch, rates[i]) for i in range(depth)])
        self.decoders = nn.ModuleList(  # deepest first; the last one returns to out_ch
            [ConvReLU(2 * mid_ch, out_ch if i == depth - 2 else mid_ch, rates[depth - 2 - i]) for i in range(depth - 1)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_in = self.conv_in(x)
        skips, h = [], x_in
        for i, enc in enumerate(self.encoders):
            if i > 0 and not self.dilated and i < self.depth - 1:
                h = F.max_pool2d(h, 2, 2, ceil_mode=True)
            h = enc(h)
            skips.append(h)
        h = skips.pop()
        for i, dec in enumerate(self.decoders):
            skip = skips.pop()
            h = dec(torch.cat([h, skip], 1))
            if skips and not self.dilated:
                h = _up_like(h, skips[-1])
        return h + x_in


class U2NetP(nn.Module):
    """U²-Net-p: 6 encoder stages, 5 decoder stages, 6 side outputs fused by a 1×1 conv."""

    def __init__(self, in_ch: int = 3, out_ch: int = 1) -> None:
        super().__init__()
        self.encoders = nn.ModuleList([
            RSU(7, in_ch, 16, 64), RSU(6, 64, 16, 64), RSU(5, 64, 16, 64), RSU(4, 64, 16, 64),
            RSU(4, 64, 16, 64, dilated=True), RSU(4, 64, 16, 64, dilated=True)])
        self.decoders = nn.ModuleList([  # stage 5d … 1d
            RSU(4, 128, 16, 64, dilated=True), RSU(4, 128, 16, 64), RSU(5, 128, 16, 64), RSU(6, 128, 16, 64),
            RSU(7, 128, 16, 64)])
        self.sides = nn.ModuleList([nn.Conv2d(64, out_ch, 3, padding=1) for _ in range(6)])
        self.fuse = nn.Conv2d(6 * out_ch, out_ch, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``x (B, 3, H, W)`` normalised → 7 × ``(B, 1, H, W)`` in [0, 1]: fused, then side outputs 1-6."""
        feats, h = [], x
        for i, enc in enumerate(self.encoders):
            if i > 0:
                h = F.max_pool2d(h, 2, 2, ceil_mode=True)
            h = enc(h)
            feats.append(h)
        decoded = [feats[-1]]  # hx6, hx5d, …, hx1d
        for dec, skip in zip(self.decoders, reversed(feats[:-1])):
            decoded.append(dec(torch.cat([_up_like(decoded[-1], skip), skip], 1)))
        top = decoded[-1]
        sides = [self.sides[i](decoded[5 - i]) for i in range(6)]  # side k from stage k (1 = full resolution)
        sides = [sides[0]] + [_up_like(s, top) for s in sides[1:]]
        fused = self.fuse(torch.cat(sides, 1))
        return tuple(torch.sigmoid(t) for t in [fused, *sides])


def _convs_in_run_order(model: nn.Module) -> list[nn.Conv2d]:
    order: list[nn.Conv2d] = []
    hooks = [m.register_forward_hook(lambda mod, _i, _o: order.append(mod))
             for m in model.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, 64, 64))
    finally:
        for hook in hooks:
            hook.remove()
    return order


def onnx_conv_weights(path: Path | str) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(weight, bias)`` of every ``Conv`` node of the ONNX file, in graph order (parsed with ``onnx``)."""
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path)).graph
    except Exception as exc:  # a truncated or foreign file
        raise WeightsError(f"'{path}' is not a readable ONNX model ({type(exc).__name__}).") from None
    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    convs = []
    for node in graph.node:
        if node.op_type == "Conv":
            if len(node.input) < 3 or node.input[1] not in constants or node.input[2] not in constants:
                raise WeightsError(f"'{path}' has a Conv node without constant weights and bias.")
            convs.append((constants[node.input[1]], constants[node.input[2]]))
    return convs


def build_u2netp(*, weights: Path | str | None = None) -> U2NetP:
    """U²-Net-p; ``weights``: the ONNX file (``u2netp.onnx``), else random (tests)."""
    model = U2NetP().eval()
    if weights is None:
        return model
    convs = _convs_in_run_order(model)
    found = onnx_conv_weights(weights)
    if len(found) != len(convs):
        raise WeightsError(f"'{weights}' has {len(found)} convolutions; U²-Net-p has {len(convs)}.")
    with torch.no_grad():
        for k, (conv, (w, b)) in enumerate(zip(convs, found)):
            if tuple(w.shape) != tuple(conv.weight.shape) or tuple(b.shape) != tuple(conv.bias.shape):
                raise WeightsError(f"'{weights}' does not fit U²-Net-p: convolution {k} is {tuple(w.shape)}, "
                                   f"expected {tuple(conv.weight.shape)}.")
            conv.weight.copy_(torch.from_numpy(np.array(w, np.float32)))
            conv.bias.copy_(torch.from_numpy(np.array(b, np.float32)))
    return model


def preprocess(image: np.ndarray) -> np.ndarray:
    """rembg's input: ``(H, W, 3)`` float RGB → ``(1, 3, 320, 320)`` float32, divided by its max, ImageNet
    mean/std (the resize is OpenCV's bicubic, rembg uses Pillow's)."""
    import cv2

    small = cv2.resize(np.asarray(image, np.float32)[..., :3], (INPUT_SIZE, INPUT_SIZE),
                       interpolation=cv2.INTER_CUBIC)
    small = small / max(float(small.max()), 1e-6)
    return ((small - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)


def normalise_saliency(pred: np.ndarray) -> np.ndarray:
    """rembg's output step: the fused map stretched to [0, 1] (min–max)."""
    lo, hi = float(pred.min()), float(pred.max())
    return ((pred - lo) / max(hi - lo, 1e-6)).astype(np.float32)
