"""tf.Example inputs of classify/regress: from REST JSON and from the gRPC `Input` proto.

Both become the serialized-example string tensor the signature's input is fed with, as
TensorFlow Serving's InputToSerializedExampleTensor() does (context merged into each example).
"""

from __future__ import annotations

import math

import numpy as np
from tensorflow.core.example import example_pb2, feature_pb2

from serving.errors import InvalidArgument
from serving.json_values import decode_b64, is_b64_object, json_type, to_text

_KIND_NAMES = {"bytes_list": "bytes", "float_list": "float", "int64_list": "int64", None: "UNKNOWN"}


def _kind_error(name: str, feature: feature_pb2.Feature) -> InvalidArgument:
    kind = _KIND_NAMES[feature.WhichOneof("kind")]
    return InvalidArgument(f"Unexpected element type in feature: {name} expecting type: {kind}")


def _add(val, name: str, feature: feature_pb2.Feature) -> None:
    """AddValueToFeature()."""
    kind = feature.WhichOneof("kind")

    def need(wanted: str) -> None:
        if kind not in (None, wanted):
            raise _kind_error(name, feature)

    if val is None or isinstance(val, list) or (isinstance(val, dict) and not is_b64_object(val)):
        raise InvalidArgument(f"Feature: {name} has element with unexpected JSON type: "
                              f"{json_type(val)}")
    if isinstance(val, bool):
        need("int64_list")
        feature.int64_list.value.append(int(val))
    elif isinstance(val, dict):
        need("bytes_list")
        feature.bytes_list.value.append(decode_b64(val))
    elif isinstance(val, str):
        need("bytes_list")
        feature.bytes_list.value.append(val.encode("utf-8"))
    elif isinstance(val, float):
        need("float_list")
        if math.isfinite(val) and abs(val) > float(np.finfo(np.float32).max):
            raise InvalidArgument(f"Cannot convert JSON value: {to_text(val)} to float without "
                                  "loss of precision.")
        feature.float_list.value.append(val)
    else:
        need("int64_list")
        if val >= 2**63:
            raise InvalidArgument(f"Feature: {name} has uint64 element. Only int64 is supported.")
        feature.int64_list.value.append(val)


def example_from_json(val) -> example_pb2.Example:
    """MakeExampleFromJsonObject()."""
    if not isinstance(val, dict):
        raise InvalidArgument(f"Example must be JSON object but got JSON {json_type(val)}")
    example = example_pb2.Example()
    for name, content in val.items():
        feature = example.features.feature[name]
        for item in content if isinstance(content, list) else [content]:
            _add(item, name, feature)
    return example


def serialized_from_json(doc: dict) -> np.ndarray:
    """FillClassifyRegressRequestFromJson(), straight to the serialized-examples tensor."""
    context = example_from_json(doc["context"]).SerializeToString() if "context" in doc else b""
    examples = doc.get("examples")
    if "examples" not in doc:
        raise InvalidArgument(f"JSON Value: {to_text(doc)} When method is classify, key "
                              "'examples' is expected and was not found")
    if not isinstance(examples, list):
        raise InvalidArgument(f"JSON Value: {to_text(doc)} Expecting 'examples' value to be an "
                              "list/array")
    if not examples:
        raise InvalidArgument(f"JSON Value: {to_text(doc)} 'examples' value is an empty array")
    return _tensor([context + example_from_json(e).SerializeToString() for e in examples])


def serialized_from_input(request_input) -> np.ndarray:
    """The gRPC `tensorflow.serving.Input` oneof as serialized examples."""
    kind = request_input.WhichOneof("kind")
    if kind == "example_list":
        items = [e.SerializeToString() for e in request_input.example_list.examples]
    elif kind == "example_list_with_context":
        ctx = request_input.example_list_with_context.context.SerializeToString()
        items = [ctx + e.SerializeToString()
                 for e in request_input.example_list_with_context.examples]
    else:
        items = []
    if not items:
        raise InvalidArgument("Input is empty.")
    return _tensor(items)


def _tensor(items: list[bytes]) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array
