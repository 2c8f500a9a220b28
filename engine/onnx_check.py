"""Refusing ONNX models that are not self-contained, without the ``onnx`` package.

A tensor stored as ONNX *external data* names a file that ONNX Runtime opens
relative to the working folder (``../`` included) when the model is loaded from
bytes; the file's bytes then flow through the graph into the edited pixels. A shared
preset could exfiltrate any readable file that way, so a model in which any tensor
has ``data_location = EXTERNAL`` or ``external_data`` entries is refused, wherever
the tensor sits: graph initializers, sparse initializers, node attributes (tensors,
sparse tensors, subgraphs of ``If``/``Loop``/``Scan``), functions and training info.

Why a reader of our own: the apply path must not need ``onnx`` (core install is
numpy, Pillow, pluggy, click, onnxruntime), and ONNX Runtime offers no way to list a
model's tensors before it loads them. The protobuf wire format is simple; this walks
only the messages that can hold tensors, skips every other field by its length
without copying it, and bounds nesting (:data:`latentroom.engine.limits.MAX_ONNX_NESTING`).
Field numbers are those of onnx/onnx.proto (IR version 10).
"""

from __future__ import annotations

from latentroom.engine import limits
from latentroom.engine.errors import PresetError

# Message kinds, and for each the length-delimited fields that hold messages to visit.
_MODEL, _GRAPH, _NODE, _ATTRIBUTE, _TENSOR, _SPARSE, _FUNCTION, _TRAINING = range(8)
_CHILDREN: dict[int, dict[int, int]] = {
    _MODEL: {7: _GRAPH, 20: _TRAINING, 25: _FUNCTION},  # graph, training_info, functions
    _TRAINING: {1: _GRAPH, 2: _GRAPH},  # initialization, algorithm
    _FUNCTION: {7: _NODE, 11: _ATTRIBUTE},  # node, attribute_proto
    _GRAPH: {1: _NODE, 5: _TENSOR, 15: _SPARSE},  # node, initializer, sparse_initializer
    _NODE: {5: _ATTRIBUTE},
    # t, g, tensors, graphs, sparse_tensor, sparse_tensors
    _ATTRIBUTE: {5: _TENSOR, 6: _GRAPH, 10: _TENSOR, 11: _GRAPH, 22: _SPARSE, 23: _SPARSE},
    _SPARSE: {1: _TENSOR, 2: _TENSOR},  # values, indices
    _TENSOR: {},
}
_TENSOR_EXTERNAL_DATA = 13
_TENSOR_DATA_LOCATION = 14
_EXTERNAL = 1

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class _Malformed(Exception):
    pass


def _varint(data: memoryview, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise _Malformed("truncated or overlong varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(data: memoryview, start: int, end: int):
    """Yield ``(field, wire_type, value_or_start, stop)`` for one message's fields."""
    pos = start
    while pos < end:
        key, pos = _varint(data, pos, end)
        field, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _varint(data, pos, end)
            yield field, wire, value, pos
        elif wire == _LENGTH:
            size, pos = _varint(data, pos, end)
            if size > end - pos:
                raise _Malformed("a field runs past the end of its message")
            yield field, wire, pos, pos + size
            pos += size
        elif wire in (_FIXED64, _FIXED32):
            pos += 8 if wire == _FIXED64 else 4
            if pos > end:
                raise _Malformed("truncated fixed-size field")
        else:
            raise _Malformed(f"unsupported wire type {wire}")


def _external_tensor(data: memoryview, start: int, end: int) -> bool:
    for field, wire, value, _ in _fields(data, start, end):
        if field == _TENSOR_EXTERNAL_DATA and wire == _LENGTH:
            return True
        if field == _TENSOR_DATA_LOCATION and wire == _VARINT and value == _EXTERNAL:
            return True
    return False


def find_external_data(model: bytes) -> int:
    """Count the tensors in serialized ``ModelProto`` bytes that use external data.

    Raises ``ValueError`` for bytes that are not a well-formed protobuf message or
    nest deeper than the limit.
    """
    data = memoryview(model)
    found = 0
    stack = [(_MODEL, 0, len(data), 0)]  # (kind, start, end, depth): no recursion
    try:
        while stack:
            kind, start, end, depth = stack.pop()
            if kind == _TENSOR:
                found += _external_tensor(data, start, end)
                continue
            children = _CHILDREN[kind]
            for field, wire, value, stop in _fields(data, start, end):
                child = children.get(field)
                if child is not None and wire == _LENGTH:
                    if depth + 1 > limits.MAX_ONNX_NESTING:
                        raise _Malformed(f"messages nest deeper than {limits.MAX_ONNX_NESTING} levels")
                    stack.append((child, value, stop, depth + 1))
    except _Malformed as e:
        raise ValueError(f"not a well-formed ONNX model: {e}") from None
    return found


def check_self_contained(model: bytes, where: str) -> None:
    """Raise :class:`PresetError` unless ``model`` is a bounded, self-contained ONNX model."""
    if len(model) > limits.MAX_MODEL_BYTES:
        raise PresetError(f"{where}: the model is {len(model)} bytes; the limit is {limits.MAX_MODEL_BYTES}")
    try:
        external = find_external_data(model)
    except ValueError as e:
        raise PresetError(f"{where}: {e}") from None
    if external:
        raise PresetError(
            f"{where}: the model refers to external data files ({external} tensor(s)); "
            "preset models must be self-contained, so it is refused"
        )
