"""One JSON value -> typed tensor values, with json_tensor.cc's checks and messages.

The slow, exact path: used when numpy's fast conversion cannot decide (ragged lists, strings,
b64 objects, mixed types), so every rejected request gets TensorFlow Serving's message.
"""

from __future__ import annotations

import base64
import binascii
import json
import math

import numpy as np
from tensorflow.core.framework import types_pb2 as t

from serving.errors import InvalidArgument, Unimplemented
from serving.tensors import dtype_name, numpy_dtype

_INT32 = (-(2**31), 2**31 - 1)
_RANGES = {
    t.DT_INT32: _INT32, t.DT_INT16: _INT32, t.DT_INT8: _INT32, t.DT_UINT8: _INT32,
    t.DT_INT64: (-(2**63), 2**63 - 1), t.DT_UINT32: (0, 2**32 - 1), t.DT_UINT64: (0, 2**64 - 1),
}
_FLOAT_LIMITS = {t.DT_FLOAT: (2**24 - 1, float(np.finfo(np.float32).max), "float"),
                 t.DT_DOUBLE: (2**53 - 1, float(np.finfo(np.float64).max), "double")}


def json_type(val) -> str:
    if val is None:
        return "Null"
    if val is True:
        return "True"
    if val is False:
        return "False"
    if isinstance(val, dict):
        return "Object"
    if isinstance(val, list):
        return "Array"
    if isinstance(val, str):
        return "String"
    return "Number"


def format_float(val: float, digits: int = 9) -> str:
    """WriteDecimal(): shortest %g that round-trips, '.0' for whole numbers, NaN/Infinity."""
    if math.isnan(val):
        return "NaN"
    if math.isinf(val):
        return "-Infinity" if val < 0 else "Infinity"
    text = f"{val:g}"
    if digits == 9 and np.float32(text) != np.float32(val) or digits == 17 and float(text) != val:
        text = "%.*g" % (digits, val)  # noqa: UP031
    if "." not in text and "e" not in text:
        text += ".0"
    return text


def to_text(val) -> str:
    """JsonValueToString(), for error messages."""
    if isinstance(val, float):
        return format_float(val, 17)
    return json.dumps(val, separators=(",", ":"))


def is_b64_object(val) -> bool:
    return isinstance(val, dict) and len(val) == 1 and isinstance(val.get("b64"), str)


def decode_b64(val) -> bytes:
    if not is_b64_object(val):
        raise InvalidArgument(f"JSON Value: {to_text(val)} not formatted correctly for base64 data")
    try:
        return base64.b64decode(val["b64"], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgument("Unable to base64 decode") from None


def _type_error(val, dtype: int) -> InvalidArgument:
    return InvalidArgument(f"JSON Value: {to_text(val)} Type: {json_type(val)} "
                           f"is not of expected type: {dtype_name(dtype)}")


def convert_scalar(val, dtype: int):
    """AddValueToTensor(): one JSON scalar as a value of `dtype`."""
    is_number = isinstance(val, (int, float)) and not isinstance(val, bool)
    if dtype in _FLOAT_LIMITS:
        if not is_number:
            raise _type_error(val, dtype)
        max_int, max_float, name = _FLOAT_LIMITS[dtype]
        lossless = (abs(val) <= max_int if isinstance(val, int)
                    else not math.isfinite(val) or abs(val) <= max_float)
        if not lossless:
            raise InvalidArgument(f"Cannot convert JSON value: {to_text(val)} to {name} "
                                  "without loss of precision.")
        return val
    if dtype in _RANGES:
        lo, hi = _RANGES[dtype]
        if not (is_number and isinstance(val, int) and lo <= val <= hi):
            raise _type_error(val, dtype)
        return val
    if dtype == t.DT_STRING:
        if not isinstance(val, str):
            raise _type_error(val, dtype)
        return val.encode("utf-8")
    if dtype == t.DT_BOOL:
        if not isinstance(val, bool):
            raise _type_error(val, dtype)
        return val
    raise Unimplemented(f"Conversion of JSON Value: {to_text(val)} to type: {dtype_name(dtype)}")


def dense_shape(val) -> list[int]:
    """GetDenseTensorShape(): sizes along the first element of each nesting level."""
    shape = []
    while isinstance(val, list):
        shape.append(len(val))
        if not val:
            break
        val = val[0]
    return shape


def _fill(val, level: int, shape: list[int], dtype: int, out: list) -> None:
    rank = len(shape)
    if not isinstance(val, list):
        if level != rank:
            raise InvalidArgument(f"JSON Value: {to_text(val)} found at incorrect level: "
                                  f"{level + 1} in the JSON DOM. Expected at level: {rank}")
        if isinstance(val, dict):
            if dtype != t.DT_STRING:
                raise _type_error(val, dtype)
            out.append(decode_b64(val))
        else:
            out.append(convert_scalar(val, dtype))
        return
    if level >= rank:
        raise InvalidArgument(f"Encountered list at unexpected level: {level} expected < {rank}")
    if len(val) != shape[level]:
        raise InvalidArgument(f"Encountered list at unexpected size: {len(val)} at level: "
                              f"{level} expected size: {shape[level]}")
    for item in val:
        _fill(item, level + 1, shape, dtype, out)


def exact_tensor(val, dtype: int) -> np.ndarray:
    """FillTensorProto() on one JSON value: the tensor, or TF Serving's error."""
    shape = dense_shape(val)
    values: list = []
    _fill(val, 0, shape, dtype, values)
    np_dtype = numpy_dtype(dtype)
    if dtype == t.DT_STRING:
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array.reshape(shape)
    return np.array(values, dtype=np_dtype).reshape(shape)


_KINDS = {t.DT_FLOAT: "iuf", t.DT_DOUBLE: "iuf", t.DT_BOOL: "b"}


def fast_tensor(val, dtype: int) -> np.ndarray:
    """numpy's conversion when it is certainly equivalent to exact_tensor(), else the exact one."""
    if dtype != t.DT_STRING and isinstance(val, list):
        try:
            array = np.array(val)
        except (ValueError, OverflowError):
            array = None
        if array is not None and array.dtype.kind in _KINDS.get(dtype, "iu"):
            if array.dtype.kind in "iu" and array.size and dtype in _RANGES:
                lo, hi = _RANGES[dtype]
                if array.min() >= lo and array.max() <= hi:
                    return array.astype(numpy_dtype(dtype), copy=False)
            elif array.dtype.kind == "f" and dtype in _FLOAT_LIMITS:
                finite = array[np.isfinite(array)]
                if not finite.size or np.abs(finite).max() <= _FLOAT_LIMITS[dtype][1]:
                    return array.astype(numpy_dtype(dtype), copy=False)
            elif array.dtype.kind in "iu" and dtype in _FLOAT_LIMITS:
                if not array.size or np.abs(array).max() <= _FLOAT_LIMITS[dtype][0]:
                    return array.astype(numpy_dtype(dtype), copy=False)
            elif array.dtype.kind == "b" and dtype == t.DT_BOOL:
                return array
    return exact_tensor(val, dtype)
