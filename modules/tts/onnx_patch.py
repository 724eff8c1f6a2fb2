"""Expose one intermediate tensor of an ONNX model as an extra graph output, without the `onnx` package.

Piper voices compute per-phoneme durations (the `Ceil` node's output, in frames of `hop_length` samples)
but do not return them. Piper's own `include_alignments=True` patches the graph with the `onnx` package,
which is 85 MB installed and needs protobuf >= 6 in its current release (mediapipe needs protobuf < 5).
The edit is tiny: append one `ValueInfoProto{name}` to `GraphProto.output`. So we do it on the protobuf
wire format directly: walk the top-level fields, find the graph, find the single `Ceil` node, and append
the output entry to the graph's bytes. Repeated fields may appear in any order on the wire, so appending
at the end is a valid encoding of "one more output".

Field numbers are from onnx.proto3 (stable since ONNX 1.0):
ModelProto.graph = 7; GraphProto.node = 1, GraphProto.output = 12; NodeProto.output = 2,
NodeProto.op_type = 4; ValueInfoProto.name = 1.
"""
from __future__ import annotations

from typing import Iterator

_VARINT, _FIXED64, _LEN, _FIXED32 = 0, 1, 2, 5
_MODEL_GRAPH = 7
_GRAPH_NODE, _GRAPH_OUTPUT = 1, 12
_NODE_OUTPUT, _NODE_OP_TYPE = 2, 4
_VALUE_INFO_NAME = 1


class OnnxPatchError(ValueError):
    """The bytes are not an ONNX model of the expected shape."""


def _read_varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise OnnxPatchError("truncated or malformed varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(buf: memoryview) -> Iterator[tuple[int, int, int, int, int]]:
    """(field number, wire type, start of the tag, start of the payload, end) for each top-level field."""
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = _read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == _VARINT:
            _, end = _read_varint(buf, pos)
        elif wire == _FIXED64:
            end = pos + 8
        elif wire == _FIXED32:
            end = pos + 4
        elif wire == _LEN:
            size, pos = _read_varint(buf, pos)
            end = pos + size
        else:
            raise OnnxPatchError(f"unsupported protobuf wire type {wire}")
        if end > len(buf) or field == 0:
            raise OnnxPatchError("truncated or malformed protobuf message")
        yield field, wire, start, pos, end
        pos = end


def _strings(buf: memoryview, number: int) -> list[str]:
    return [bytes(buf[p:e]).decode("utf-8") for f, w, _, p, e in _fields(buf) if f == number and w == _LEN]


def _length_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | _LEN) + _varint(len(payload)) + payload


def _graph(model: bytes) -> tuple[memoryview, int, int, int]:
    buf = memoryview(model)
    graphs = [(s, p, e) for f, w, s, p, e in _fields(buf) if f == _MODEL_GRAPH and w == _LEN]
    if len(graphs) != 1:
        raise OnnxPatchError("not an ONNX model: no single graph field")
    start, payload, end = graphs[0]
    return buf, start, payload, end


def _node_outputs(graph: memoryview, op_type: str | None = None) -> list[str]:
    names: list[str] = []
    for f, w, _, p, e in _fields(graph):
        if f == _GRAPH_NODE and w == _LEN:
            node = graph[p:e]
            if op_type is None or _strings(node, _NODE_OP_TYPE) == [op_type]:
                names += _strings(node, _NODE_OUTPUT)
    return names


def add_output(model: bytes, name: str) -> bytes:
    """`model` with the tensor `name` (made by one of its nodes) also exposed as a graph output.

    Raises OnnxPatchError when no node makes that tensor or it already is an output."""
    buf, start, payload, end = _graph(model)
    graph = buf[payload:end]
    if name not in _node_outputs(graph):
        raise OnnxPatchError(f"no node of the graph makes a tensor named {name!r}")
    outputs = [n for f, w, _, p, e in _fields(graph) if f == _GRAPH_OUTPUT and w == _LEN
               for n in _strings(graph[p:e], _VALUE_INFO_NAME)]
    if name in outputs:
        raise OnnxPatchError(f"tensor {name!r} already is a graph output")
    extra = _length_field(_GRAPH_OUTPUT, _length_field(_VALUE_INFO_NAME, name.encode("utf-8")))
    head = _varint(_MODEL_GRAPH << 3 | _LEN) + _varint(len(graph) + len(extra))
    return b"".join((buf[:start], head, graph, extra, buf[end:]))


def add_ceil_output(model: bytes) -> tuple[bytes, str]:
    """`model` with its single `Ceil` node's output also exposed as a graph output, and that tensor's name.

    Raises OnnxPatchError when there is no graph, no or several `Ceil` outputs, or the tensor already is
    an output (a model patched before)."""
    _, _, payload, end = _graph(model)
    ceil_outputs = _node_outputs(memoryview(model)[payload:end], "Ceil")
    if len(ceil_outputs) != 1:
        raise OnnxPatchError(f"expected one Ceil tensor in the graph, found {len(ceil_outputs)}")
    return add_output(model, ceil_outputs[0]), ceil_outputs[0]
