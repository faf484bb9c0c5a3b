"""numpy <-> tensorflow.TensorProto and DataType names, without importing TensorFlow.

Responses fill the typed value fields (float_val, ...) as TensorFlow Serving's
Tensor::AsProtoField does, so clients reading `outputs["y"].float_val` keep working.
"""

from __future__ import annotations

import numpy as np
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

from serving.errors import InvalidArgument, Unimplemented

NUMPY_OF: dict[int, np.dtype] = {
    types_pb2.DT_FLOAT: np.dtype(np.float32),
    types_pb2.DT_DOUBLE: np.dtype(np.float64),
    types_pb2.DT_INT32: np.dtype(np.int32),
    types_pb2.DT_UINT8: np.dtype(np.uint8),
    types_pb2.DT_INT16: np.dtype(np.int16),
    types_pb2.DT_INT8: np.dtype(np.int8),
    types_pb2.DT_STRING: np.dtype(object),
    types_pb2.DT_INT64: np.dtype(np.int64),
    types_pb2.DT_BOOL: np.dtype(np.bool_),
    types_pb2.DT_UINT16: np.dtype(np.uint16),
    types_pb2.DT_HALF: np.dtype(np.float16),
    types_pb2.DT_UINT32: np.dtype(np.uint32),
    types_pb2.DT_UINT64: np.dtype(np.uint64),
}
DTYPE_OF: dict[np.dtype, int] = {v: k for k, v in NUMPY_OF.items()}

# TensorProto field holding each dtype's values (AsProtoField layout).
_FIELD: dict[int, str] = {
    types_pb2.DT_FLOAT: "float_val",
    types_pb2.DT_DOUBLE: "double_val",
    types_pb2.DT_INT32: "int_val",
    types_pb2.DT_UINT8: "int_val",
    types_pb2.DT_INT16: "int_val",
    types_pb2.DT_INT8: "int_val",
    types_pb2.DT_UINT16: "int_val",
    types_pb2.DT_STRING: "string_val",
    types_pb2.DT_INT64: "int64_val",
    types_pb2.DT_BOOL: "bool_val",
    types_pb2.DT_HALF: "half_val",
    types_pb2.DT_UINT32: "uint32_val",
    types_pb2.DT_UINT64: "uint64_val",
}


def dtype_name(dtype: int) -> str:
    """TensorFlow's DataTypeString(): DT_FLOAT -> "float"."""
    return types_pb2.DataType.Name(dtype)[3:].lower()


def numpy_dtype(dtype: int) -> np.dtype:
    try:
        return NUMPY_OF[dtype]
    except KeyError:
        raise Unimplemented(f"Unsupported tensor type: {dtype_name(dtype)}") from None


def tf_dtype(array: np.ndarray) -> int:
    if array.dtype.kind in "USO":
        return types_pb2.DT_STRING
    try:
        return DTYPE_OF[array.dtype]
    except KeyError:
        raise Unimplemented(f"Unsupported numpy type: {array.dtype}") from None


def to_ndarray(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """Decode a request tensor; a single value fills the whole shape, as in TensorFlow."""
    dtype = numpy_dtype(proto.dtype)
    shape = tuple(d.size for d in proto.tensor_shape.dim)
    size = int(np.prod(shape, dtype=np.int64))
    if proto.tensor_content:
        values = np.frombuffer(proto.tensor_content, dtype=dtype)
    elif proto.dtype == types_pb2.DT_HALF:
        values = np.array(proto.half_val, dtype=np.uint16).view(np.float16)
    elif proto.dtype == types_pb2.DT_STRING:
        values = np.empty(len(proto.string_val), dtype=object)
        values[:] = list(proto.string_val)
    else:
        values = np.array(getattr(proto, _FIELD[proto.dtype]), dtype=dtype)
    if values.size == size:
        return values.reshape(shape)
    if values.size == 1 or (values.size == 0 and size == 0):
        return np.full(shape, values[0] if values.size else 0, dtype=dtype)
    if values.size > 1 and values.size < size:
        return np.concatenate([values, np.full(size - values.size, values[-1], dtype)]).reshape(shape)
    raise InvalidArgument(
        f"Invalid TensorProto: {values.size} values for a tensor of shape "
        f"[{','.join(str(d) for d in shape)}]")


def to_proto(array: np.ndarray) -> tensor_pb2.TensorProto:
    dtype = tf_dtype(array)
    proto = tensor_pb2.TensorProto(
        dtype=dtype,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in array.shape]))
    flat = array.ravel()
    if dtype == types_pb2.DT_STRING:
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in flat)
    elif dtype == types_pb2.DT_HALF:
        proto.half_val.extend(flat.view(np.uint16).tolist())
    else:
        getattr(proto, _FIELD[dtype]).extend(flat.tolist())
    return proto
