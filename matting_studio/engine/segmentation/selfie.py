"""Our PyTorch port of the MediaPipe selfie segmentation network, built from its TFLite file.

A small graph interpreter: each TFLite operator becomes a torch call with weights converted from TFLite's
NHWC / OHWI layouts to torch's NCHW / OIHW; TFLite's asymmetric SAME padding is reproduced explicitly.
Input ``(B, 3, 256, 256)`` RGB float in [0, 1] → output ``(B, 1, 256, 256)`` person probability in [0, 1].
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from matting_studio.core.errors import WeightsError
from matting_studio.engine.segmentation.tflite_reader import TFLiteGraph, read_tflite

SUPPORTED = {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MUL", "RELU", "HARD_SWISH", "LOGISTIC", "AVERAGE_POOL_2D",
             "RESIZE_BILINEAR", "DEQUANTIZE", "Convolution2DTransposeBias"}
INPUT_SIZE = 256


def _same_pad(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _activate(x: torch.Tensor, code: int) -> torch.Tensor:
    if code == 0:
        return x
    if code == 1:
        return F.relu(x)
    if code == 3:
        return F.relu6(x)
    raise WeightsError(f"Unsupported fused activation {code} in the TFLite model.")


class SelfieSegmentation(nn.Module):
    """The MediaPipe selfie segmenter as a torch module (weights from the ``.tflite`` file)."""

    def __init__(self, graph: TFLiteGraph) -> None:
        super().__init__()
        unsupported = {op.opcode for op in graph.operators} - SUPPORTED
        if unsupported:
            raise WeightsError(f"The TFLite model uses unsupported operators: {', '.join(sorted(unsupported))}.")
        self.graph_inputs = graph.inputs
        self.graph_outputs = graph.outputs
        constants = {t.index: t.data for t in graph.tensors if t.data is not None}
        for op in graph.operators:  # constant-fold DEQUANTIZE (fp16 weights → fp32)
            if op.opcode == "DEQUANTIZE":
                constants[op.outputs[0]] = constants[op.inputs[0]]
        self._ops = [op for op in graph.operators if op.opcode != "DEQUANTIZE"]
        self._params: dict[int, str] = {}
        for k, op in enumerate(self._ops):
            if op.opcode == "CONV_2D":
                w = torch.from_numpy(constants[op.inputs[1]]).permute(0, 3, 1, 2)  # OHWI → OIHW
            elif op.opcode == "DEPTHWISE_CONV_2D":
                w = torch.from_numpy(constants[op.inputs[1]]).permute(3, 0, 1, 2)  # 1HWC → C1HW
            elif op.opcode == "Convolution2DTransposeBias":
                w = torch.from_numpy(constants[op.inputs[1]]).permute(3, 0, 1, 2)  # OHWI → IOHW
            else:
                continue
            self.register_buffer(f"w{k}", w.contiguous().float())
            bias = constants.get(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
            if bias is not None:
                self.register_buffer(f"b{k}", torch.from_numpy(bias.copy()).float())
        self._resize_sizes = {
            k: tuple(int(v) for v in constants[op.inputs[1]])
            for k, op in enumerate(self._ops) if op.opcode == "RESIZE_BILINEAR"
        }

    @classmethod
    def from_file(cls, path: Path | str) -> "SelfieSegmentation":
        return cls(read_tflite(path))

    def _conv(self, k: int, op, x: torch.Tensor, groups: int = 1) -> torch.Tensor:
        weight = getattr(self, f"w{k}")
        bias = getattr(self, f"b{k}", None)
        o = op.options
        (sh, sw), (dh, dw) = o["stride"], o["dilation"]
        kh, kw = weight.shape[2], weight.shape[3]
        if o["padding"] == "SAME":
            top, bottom = _same_pad(x.shape[2], kh, sh, dh)
            left, right = _same_pad(x.shape[3], kw, sw, dw)
            x = F.pad(x, (left, right, top, bottom))
        return _activate(F.conv2d(x, weight, bias, (sh, sw), 0, (dh, dw), groups), o["activation"])

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """``image (B, 3, 256, 256)`` RGB in [0, 1] → ``(B, 1, 256, 256)`` probability."""
        values: dict[int, torch.Tensor] = {self.graph_inputs[0]: image}
        for k, op in enumerate(self._ops):
            a = values.get(op.inputs[0])
            name = op.opcode
            if name == "CONV_2D":
                y = self._conv(k, op, a)
            elif name == "DEPTHWISE_CONV_2D":
                y = self._conv(k, op, a, groups=a.shape[1])
            elif name in ("ADD", "MUL"):
                b = values[op.inputs[1]]
                y = _activate(a + b if name == "ADD" else a * b, op.options.get("activation", 0))
            elif name == "RELU":
                y = F.relu(a)
            elif name == "HARD_SWISH":
                y = F.hardswish(a)
            elif name == "LOGISTIC":
                y = torch.sigmoid(a)
            elif name == "AVERAGE_POOL_2D":
                o = op.options
                if o["padding"] != "VALID":
                    raise WeightsError("Only VALID average pooling is supported.")
                y = _activate(F.avg_pool2d(a, o["filter"], o["stride"]), o["activation"])
            elif name == "RESIZE_BILINEAR":
                o = op.options
                if not o["align_corners"] and not o["half_pixel_centers"]:
                    raise WeightsError("Legacy (non half-pixel) bilinear resizing is not supported.")
                y = F.interpolate(a, size=self._resize_sizes[k], mode="bilinear", align_corners=o["align_corners"])
            else:  # Convolution2DTransposeBias
                weight, bias = getattr(self, f"w{k}"), getattr(self, f"b{k}", None)
                (sh, sw) = op.options["stride"]
                y = F.conv_transpose2d(a, weight, bias, (sh, sw))
                if op.options["padding"] == "SAME":  # crop to in*stride, TFLite style
                    th, tw = a.shape[2] * sh, a.shape[3] * sw
                    top, left = (y.shape[2] - th) // 2, (y.shape[3] - tw) // 2
                    y = y[:, :, top:top + th, left:left + tw]
            values[op.outputs[0]] = y
        return values[self.graph_outputs[0]]
