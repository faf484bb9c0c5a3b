"""TensorFlow Serving's REST JSON (util/json_tensor.cc): requests in, responses out.

Row ("instances") and columnar ("inputs") predict requests, tf.Example classify/regress
requests, and the matching "predictions" / "outputs" / "results" answers.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import orjson

from serving.errors import InvalidArgument
from serving.json_values import (
    dense_shape,
    fast_tensor,
    format_float,
    is_b64_object,
    to_text,
)
from serving.runtimes.base import Signature

_PY_TO_RAPIDJSON = [
    ("Expecting value", "Invalid value."),
    ("Expecting property name enclosed in double quotes", "Missing a name for object member."),
    ("Expecting ':' delimiter", "Missing a colon after a name of object member."),
    ("Expecting ',' delimiter", "Missing a comma or ']' after an array element."),
    ("Extra data", "The document root must not be followed by other values."),
    ("Unterminated string", "Missing a closing quotation mark in string."),
    ("Invalid control character", "Invalid encoding in string."),
    ("Invalid \\escape", "Invalid escape character in string."),
]


def parse(body: bytes) -> dict:
    """ParseJson(): a JSON object, NaN/Infinity accepted, or INVALID_ARGUMENT."""
    if not body.strip():
        raise InvalidArgument("JSON Parse error: The document is empty")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            doc = json.loads(body)  # the standard parser accepts NaN, Infinity, -Infinity
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidArgument(f"JSON Parse error: {_rapidjson_message(exc)}") from None
    if not isinstance(doc, dict):
        raise InvalidArgument(f"JSON Value: {to_text(doc)} Is not object")
    return doc


def _rapidjson_message(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        text = next((r for p, r in _PY_TO_RAPIDJSON if exc.msg.startswith(p)), exc.msg)
        return f"{text} at offset: {exc.pos}"
    return f"Invalid encoding in string. at offset: {getattr(exc, 'start', 0)}"


def signature_name(doc: dict) -> str:
    name = doc.get("signature_name", "")
    if not isinstance(name, str):
        raise InvalidArgument(f"JSON Value: {to_text(doc)} not formatted correctly. "
                              "'signature_name' key must be a string value.")
    return name


def predict_inputs(doc: dict, signature: Signature) -> tuple[dict[str, np.ndarray], str]:
    """FillPredictRequestFromJson(): (inputs, "row" | "columnar")."""
    specs = signature.inputs
    if not specs:
        raise InvalidArgument("Failed to get input map for signature")
    if "instances" in doc:
        if "inputs" in doc:
            raise InvalidArgument(f"JSON Value: {to_text(doc)} Not formatted correctly expecting "
                                  "only one of 'inputs' or 'instances' keys to exist ")
        instances = doc["instances"]
        if not isinstance(instances, list):
            raise InvalidArgument(f"JSON Value: {to_text(doc)} Excepting 'instances' to be an "
                                  "list/array")
        if not instances:
            raise InvalidArgument(f"JSON Value: {to_text(doc)} No values in 'instances' array")
        return _rows(instances, specs), "row"
    if "inputs" in doc:
        return _columns(doc["inputs"], specs), "columnar"
    raise InvalidArgument("Missing 'inputs' or 'instances' key")


def _is_object(val) -> bool:
    return isinstance(val, dict) and not is_b64_object(val)


def _rows(instances: list, specs: dict) -> dict[str, np.ndarray]:
    if not isinstance(instances[0], dict) and len(specs) > 1:
        raise InvalidArgument("instances is a plain list, but expecting list of objects as "
                              "multiple input tensors required as per tensorinfo_map")
    if not _is_object(instances[0]):
        name = next(iter(sorted(specs)))
        for i, item in enumerate(instances):
            if _is_object(item):
                raise InvalidArgument(f"Expecting value/list but got object at item {i} of input list")
        try:
            return {name: fast_tensor(instances, specs[name].dtype)}
        except InvalidArgument:
            _explain_rows([(i, name, item) for i, item in enumerate(instances)], specs)
            raise
    names = sorted(specs)
    columns: dict[str, list] = {n: [] for n in names}
    for i, item in enumerate(instances):
        if not _is_object(item):
            raise InvalidArgument(f"Expecting object but got list at item {i} of input list")
        for key, value in item.items():
            if key not in specs:
                raise InvalidArgument(f"Failed to process element: {i} key: {key} of 'instances' "
                                      f"list. Error: INVALID_ARGUMENT: JSON object: does not have "
                                      f"named input: {key}")
            columns[key].append(value)
        if set(item) != set(names):
            raise InvalidArgument(f"Failed to process element: {i} of 'instances' list. JSON "
                                  f"object: {to_text(item)} keys must be equal to: {','.join(names)}")
    out = {}
    for name in names:
        try:
            out[name] = fast_tensor(columns[name], specs[name].dtype)
        except InvalidArgument:
            _explain_rows([(i, name, v) for i, v in enumerate(columns[name])], specs, keyed=True)
            raise
    return out


def _explain_rows(items: list, specs: dict, keyed: bool = False) -> None:
    """Re-raise a failed batch conversion as AddInstanceItem()'s per-element error."""
    first_shape = None
    first_size = None
    for i, name, item in items:
        where = f"{i} key: {name}" if keyed else f"{i}"
        try:
            tensor = fast_tensor(item, specs[name].dtype) if isinstance(item, list) else None
            if tensor is None:
                from serving.json_values import exact_tensor
                tensor = exact_tensor(item, specs[name].dtype)
        except InvalidArgument as exc:
            raise InvalidArgument(f"Failed to process element: {where} of 'instances' list. "
                                  f"Error: INVALID_ARGUMENT: {exc.message}") from None
        shape = dense_shape(item)
        if first_shape is None:
            first_shape, first_size = shape, tensor.size
        elif tensor.size != first_size:
            raise InvalidArgument(f"Failed to process element: {where} of 'instances' list. Error: "
                                  f"INVALID_ARGUMENT: Expecting tensor size: {first_size} but got: "
                                  f"{tensor.size}")
        elif shape != first_shape:
            raise InvalidArgument(
                f"Failed to process element: {where} of 'instances' list. Error: INVALID_ARGUMENT: "
                f"Expecting shape [{','.join(map(str, first_shape))}] but got: "
                f"[{','.join(map(str, shape))}]")


def _columns(val, specs: dict) -> dict[str, np.ndarray]:
    if not _is_object(val):
        if len(specs) > 1:
            raise InvalidArgument("inputs is a plain value/list, but expecting an object as "
                                  "multiple input tensors required as per tensorinfo_map")
        name = next(iter(specs))
        return {name: fast_tensor(val, specs[name].dtype)}
    out = {}
    for name in sorted(specs):
        if name not in val:
            raise InvalidArgument(f"Missing named input: {name} in 'inputs' object.")
        out[name] = fast_tensor(val[name], specs[name].dtype)
    return out


# ---- responses ---------------------------------------------------------------------------

_NUMPY_OPTS = orjson.OPT_SERIALIZE_NUMPY


def _plain(name: str, array: np.ndarray):
    """A value orjson can write exactly: numeric arrays as they are, strings as text or b64."""
    if array.dtype == object or array.dtype.kind in "SU":
        as_b64 = name.endswith("_bytes")
        flat = [_string(v, as_b64) for v in array.ravel().tolist()]
        return np.array(flat, dtype=object).reshape(array.shape).tolist() if array.ndim else flat[0]
    if array.dtype == np.float16:
        return array.astype(np.float32)
    return array


def _string(value, as_b64: bool):
    data = value if isinstance(value, bytes) else str(value).encode()
    if as_b64:
        return {"b64": base64.b64encode(data).decode("ascii")}
    return data.decode("utf-8", errors="replace")


def _dumps(obj, outputs: dict[str, np.ndarray]) -> bytes:
    if all(a.dtype.kind != "f" or np.isfinite(a).all() for a in outputs.values()):
        return orjson.dumps(obj, option=_NUMPY_OPTS)
    return _write_with_nonfinite(obj).encode()


def _write_with_nonfinite(obj) -> str:
    """JSON with NaN/Infinity tokens (orjson would write null), as TensorFlow Serving does."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f":
            digits = 17 if obj.dtype == np.float64 else 9
            return _nested(obj.tolist(), lambda v: format_float(v, digits))
        return json.dumps(obj.tolist())
    if isinstance(obj, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_write_with_nonfinite(v)}"
                              for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(_write_with_nonfinite(v) for v in obj) + "]"
    if isinstance(obj, np.generic):
        return _write_with_nonfinite(np.asarray(obj))
    return json.dumps(obj)


def _nested(value, fmt) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_nested(v, fmt) for v in value) + "]"
    return fmt(value)


def predict_response(outputs: dict[str, np.ndarray], fmt: str) -> bytes:
    """MakeJsonFromTensors()."""
    if not outputs:
        raise InvalidArgument("Cannot convert empty tensor map to JSON")
    names = sorted(outputs)
    if fmt == "columnar":
        if len(names) == 1:
            body = {"outputs": _plain(names[0], outputs[names[0]])}
        else:
            body = {"outputs": {n: _plain(n, outputs[n]) for n in names}}
        return _dumps(body, outputs)
    batch = -1
    for name in names:
        array = outputs[name]
        if array.ndim == 0:
            raise InvalidArgument(f"Tensor name: {name} has no shape information ")
        if batch >= 0 and array.shape[0] != batch:
            raise InvalidArgument(f"Tensor name: {name} has inconsistent batch size: "
                                  f"{array.shape[0]} expecting: {batch}")
        batch = array.shape[0]
    if len(names) == 1:
        return _dumps({"predictions": _plain(names[0], outputs[names[0]])}, outputs)
    columns = {n: _plain(n, outputs[n]) for n in names}
    rows = [{n: columns[n][i] for n in names} for i in range(batch)]
    return _dumps({"predictions": rows}, outputs)


def classify_response(results: list[list[tuple[str, float]]]) -> bytes:
    parts = ",".join("[" + ",".join(f"[{json.dumps(label)},{format_float(score)}]"
                                    for label, score in classes) + "]" for classes in results)
    return ('{"results":[' + parts + "]}").encode()


def regress_response(values: list[float]) -> bytes:
    return ('{"results":[' + ",".join(format_float(v) for v in values) + "]}").encode()


def error_body(message: str) -> bytes:
    """FillJsonErrorMsg()'s frame; the message is JSON-escaped (TF Serving C-escapes it)."""
    return b'{ "error": ' + json.dumps(message, ensure_ascii=False).encode() + b" }"




