"""Exposing an intermediate tensor of an ONNX model as an output, on the protobuf wire format."""
from __future__ import annotations

import numpy as np
import pytest

from modules.tts.onnx_patch import OnnxPatchError, add_ceil_output


def _varint(v: int) -> bytes:
    out = bytearray()
    while True:
        out.append((v & 0x7F) | (0x80 if v > 0x7F else 0))
        v >>= 7
        if not v:
            return bytes(out)


def _len(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _tensor_info(name: str) -> bytes:
    # ValueInfoProto{name, type: TypeProto{tensor_type: {elem_type FLOAT, shape [3]}}}
    shape = _len(2, _len(1, _int(1, 3)))
    return _len(1, name.encode()) + _len(2, _len(1, _int(1, 1) + shape))


def _node(op: str, inp: str, out: str) -> bytes:
    return _len(1, inp.encode()) + _len(2, out.encode()) + _len(4, op.encode())


def _model(*ops: str) -> bytes:
    """y = Neg(Ceil(x)) (or the given op chain) over a float[3]: a real, tiny ONNX model."""
    names = ["x"] + [f"t{i}" for i in range(len(ops) - 1)] + ["y"]
    graph = b"".join(_len(1, _node(op, a, b)) for op, a, b in zip(ops, names, names[1:]))
    graph += _len(2, b"g") + _len(11, _tensor_info("x")) + _len(12, _tensor_info("y"))
    return _int(1, 7) + _len(8, _int(2, 13)) + _len(7, graph) + _len(2, b"test")


def test_ceil_tensor_becomes_an_output_that_onnxruntime_returns():
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime comes with the piper extra "
                                                    "(pip install -r requirements-piper.txt)")
    model = _model("Ceil", "Neg")
    patched, name = add_ceil_output(model)
    assert name == "t0"
    session = ort.InferenceSession(patched, providers=["CPUExecutionProvider"])
    x = np.array([0.2, 1.5, -2.7], np.float32)
    y, ceil = session.run(None, {"x": x})
    np.testing.assert_array_equal(ceil, np.ceil(x))
    np.testing.assert_array_equal(y, -np.ceil(x))
    # the unpatched model still has its single output
    assert len(ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": x})) == 1


def test_refuses_models_it_cannot_patch():
    with pytest.raises(OnnxPatchError, match="already is a graph output"):
        add_ceil_output(add_ceil_output(_model("Ceil", "Neg"))[0])
    with pytest.raises(OnnxPatchError, match="found 0"):
        add_ceil_output(_model("Neg", "Neg"))
    with pytest.raises(OnnxPatchError, match="found 2"):
        add_ceil_output(_model("Ceil", "Ceil"))
    with pytest.raises(OnnxPatchError, match="no single graph"):
        add_ceil_output(_int(1, 7))
    with pytest.raises(OnnxPatchError):
        add_ceil_output(b"\xff\xff\xff")                        # not protobuf at all
    with pytest.raises(OnnxPatchError, match="truncated"):
        add_ceil_output(_model("Ceil", "Neg")[:-3])
