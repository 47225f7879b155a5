"""A small reader for TFLite flatbuffers (parsed with the ``tflite`` package): operators, tensors, constants.

No TFLite runtime is used. FLOAT16 constants (inputs of DEQUANTIZE ops) are returned as float32.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from matting_studio.core.errors import WeightsError

_NUMPY_TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}


@dataclass
class TensorInfo:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: type
    data: Optional[np.ndarray]  # constant data (float16 already widened to float32), else None


@dataclass
class OperatorInfo:
    opcode: str  # builtin name (e.g. "CONV_2D") or the custom code (e.g. "Convolution2DTransposeBias")
    inputs: list[int]
    outputs: list[int]
    options: dict = field(default_factory=dict)


@dataclass
class TFLiteGraph:
    tensors: list[TensorInfo]
    operators: list[OperatorInfo]
    inputs: list[int]
    outputs: list[int]


def _builtin_names() -> dict[int, str]:
    from tflite.BuiltinOperator import BuiltinOperator

    return {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}


def _options(op, opcode: str) -> dict:
    import tflite

    table = op.BuiltinOptions()
    if opcode in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        o = tflite.Conv2DOptions() if opcode == "CONV_2D" else tflite.DepthwiseConv2DOptions()
        o.Init(table.Bytes, table.Pos)
        out = {"padding": "SAME" if o.Padding() == 0 else "VALID", "stride": (o.StrideH(), o.StrideW()),
               "dilation": (o.DilationHFactor(), o.DilationWFactor()), "activation": o.FusedActivationFunction()}
        if opcode == "DEPTHWISE_CONV_2D":
            out["depth_multiplier"] = o.DepthMultiplier()
        return out
    if opcode == "AVERAGE_POOL_2D":
        o = tflite.Pool2DOptions()
        o.Init(table.Bytes, table.Pos)
        return {"padding": "SAME" if o.Padding() == 0 else "VALID", "stride": (o.StrideH(), o.StrideW()),
                "filter": (o.FilterHeight(), o.FilterWidth()), "activation": o.FusedActivationFunction()}
    if opcode in ("ADD", "MUL"):
        if table is None:
            return {"activation": 0}
        o = tflite.AddOptions() if opcode == "ADD" else tflite.MulOptions()
        o.Init(table.Bytes, table.Pos)
        return {"activation": o.FusedActivationFunction()}
    if opcode == "RESIZE_BILINEAR":
        o = tflite.ResizeBilinearOptions()
        o.Init(table.Bytes, table.Pos)
        return {"align_corners": bool(o.AlignCorners()), "half_pixel_centers": bool(o.HalfPixelCenters())}
    if opcode == "Convolution2DTransposeBias":
        # MediaPipe's custom op stores TfLiteTransposeConvParams: padding (1 SAME, 2 VALID), stride_w, stride_h.
        raw = np.frombuffer(op.CustomOptionsAsNumpy().tobytes(), np.int32)
        return {"padding": "SAME" if raw[0] == 1 else "VALID", "stride": (int(raw[2]), int(raw[1]))}
    return {}


def read_tflite(path: Path | str | bytes) -> TFLiteGraph:
    """Parse a TFLite model (file path or bytes) into plain Python data."""
    import tflite

    data = path if isinstance(path, bytes) else Path(path).read_bytes()
    try:
        model = tflite.Model.GetRootAsModel(data, 0)
        graph = model.Subgraphs(0)
    except Exception as exc:
        raise WeightsError(f"Not a readable TFLite model ({type(exc).__name__}).") from None
    names = _builtin_names()
    tensors = []
    for i in range(graph.TensorsLength()):
        t = graph.Tensors(i)
        dtype = _NUMPY_TYPES.get(t.Type(), np.float32)
        shape = tuple(int(v) for v in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        buffer = model.Buffers(t.Buffer())
        constant = None
        if buffer is not None and buffer.DataLength() > 0:
            constant = np.frombuffer(buffer.DataAsNumpy().tobytes(), dtype=dtype).reshape(shape)
            if constant.dtype == np.float16:
                constant = constant.astype(np.float32)
        tensors.append(TensorInfo(i, t.Name().decode(), shape, dtype, constant))
    operators = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        opcode = names.get(builtin, str(builtin))
        if opcode == "CUSTOM":
            opcode = code.CustomCode().decode()
        operators.append(OperatorInfo(opcode, [int(v) for v in op.InputsAsNumpy()],
                                      [int(v) for v in op.OutputsAsNumpy()], _options(op, opcode)))
    return TFLiteGraph(tensors, operators, [int(v) for v in graph.InputsAsNumpy()],
                       [int(v) for v in graph.OutputsAsNumpy()])
