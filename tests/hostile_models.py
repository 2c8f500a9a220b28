"""Hostile and broken ONNX models for the untrusted-input tests, built with onnx.helper.

Each takes ``image`` ``[N, 3, R, R]`` and returns ``edited``, so a manifest from
``preset_fixtures.make_manifest(strength=False)`` describes it.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _io(resolution: int, out_resolution: int | None = None) -> tuple[list, list]:
    r, o = resolution, out_resolution or resolution
    return (
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, r, r])],
        [helper.make_tensor_value_info("edited", TensorProto.FLOAT, ["N", 3, o, o])],
    )


def _model(nodes: list, resolution: int, initializers: list, out_resolution: int | None = None) -> bytes:
    inputs, outputs = _io(resolution, out_resolution)
    graph = helper.make_graph(nodes, "hostile", inputs, outputs, initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]).SerializeToString()


def external_tensor(name: str, location: str, shape: tuple[int, ...]) -> TensorProto:
    """A uint8 tensor whose bytes ONNX Runtime reads from file ``location``."""
    tensor = numpy_helper.from_array(np.zeros(shape, np.uint8), name)
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(int(np.prod(shape))))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def exfiltrating(resolution: int, location: str) -> bytes:
    """``edited = image + bytes of file location``: the file leaks into the pixels."""
    secret = external_tensor("secret", location, (1, 3, resolution, resolution))
    nodes = [
        helper.make_node("Cast", ["secret"], ["secret_f"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["image", "secret_f"], ["edited"]),
    ]
    return _model(nodes, resolution, [secret])


def external_in_subgraph(resolution: int, location: str) -> bytes:
    """The external tensor sits in an ``If`` branch's initializers, not the main graph."""
    branch_out = [helper.make_tensor_value_info("b", TensorProto.UINT8, [1, 3, resolution, resolution])]
    secret = external_tensor("secret", location, (1, 3, resolution, resolution))
    branch = helper.make_graph([helper.make_node("Identity", ["secret"], ["b"])], "branch", [], branch_out, [secret])
    condition = numpy_helper.from_array(np.array(True), "condition")
    nodes = [
        helper.make_node("If", ["condition"], ["picked"], then_branch=branch, else_branch=branch),
        helper.make_node("Cast", ["picked"], ["picked_f"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["image", "picked_f"], ["edited"]),
    ]
    return _model(nodes, resolution, [condition])


def external_in_attribute(resolution: int, location: str) -> bytes:
    """The external tensor is a ``Constant`` node's value attribute."""
    secret = external_tensor("secret", location, (1, 3, resolution, resolution))
    nodes = [
        helper.make_node("Constant", [], ["secret"], value=secret),
        helper.make_node("Cast", ["secret"], ["secret_f"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["image", "secret_f"], ["edited"]),
    ]
    return _model(nodes, resolution, [])


def nan_output(resolution: int) -> bytes:
    """``edited = image * NaN``."""
    nan = numpy_helper.from_array(np.array(np.nan, np.float32), "nan")
    return _model([helper.make_node("Mul", ["image", "nan"], ["edited"])], resolution, [nan])


def half_size_output(resolution: int) -> bytes:
    """``edited`` is ``image`` average-pooled to half the resolution."""
    node = helper.make_node("AveragePool", ["image"], ["edited"], kernel_shape=[2, 2], strides=[2, 2])
    return _model([node], resolution, [], out_resolution=resolution // 2)
