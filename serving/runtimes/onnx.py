"""ONNX models (`*.onnx`), run by ONNX Runtime or, when `RuntimeOptions.onnx_runtime` says so,
by OpenVINO (which reads ONNX directly and is faster on this CPU: see RuntimeOptions).

The signature is one "serving_default" predict signature whose keys are the graph's own input
and output names; symbolic or unknown dimensions show as -1. `InferenceSession.run` is
thread-safe, so predict takes no lock. The framework is imported in `load()` only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from serving.errors import InvalidArgument
from serving.runtimes.base import PREDICT_METHOD, Runtime, Signature, TensorSpec

# ONNX Runtime's type strings -> numpy dtypes (tensor(float16) etc.).
_ORT_NUMPY = {
    "float": np.float32, "double": np.float64, "float16": np.float16,
    "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "bool": np.bool_, "string": np.object_,
}


def tf_dtype_of(dtype) -> int:
    """A numpy dtype as a tensorflow.DataType enum value (DT_STRING for text and objects)."""
    from serving.tensors import DTYPE_OF, types_pb2

    dtype = np.dtype(dtype)
    if dtype.kind in "USO":
        return types_pb2.DT_STRING
    if dtype not in DTYPE_OF:
        raise ValueError(f"tensor type {dtype} has no TensorFlow Serving equivalent")
    return DTYPE_OF[dtype]


def model_file(path: Path, pattern: str) -> Path:
    """The one model file matching `pattern` in a version directory (model.* preferred)."""
    files = sorted(path.glob(pattern))
    if not files:
        raise FileNotFoundError(f"no {pattern} file in {path}")
    preferred = [f for f in files if f.stem == "model"]
    return (preferred or files)[0]


class ONNXRuntime(Runtime):
    format_name = "onnx"

    def __init__(self, path: Path, options=None) -> None:
        super().__init__(path, options)
        self._session = None
        self._delegate: Runtime | None = None
        self._signatures: dict[str, Signature] = {}

    @classmethod
    def accepts(cls, path: Path) -> bool:
        return next(path.glob("*.onnx"), None) is not None

    @property
    def engine(self) -> str:
        """"onnxruntime" or "openvino": which framework runs this model."""
        return self.options.onnx_runtime

    def load(self) -> None:
        file = model_file(self.path, "*.onnx")
        if self.engine == "openvino":
            from serving.runtimes.openvino import OpenVINORuntime

            self._delegate = OpenVINORuntime(self.path, self.options, model_file=file)
            self._delegate.load()
            self._signatures = self._delegate.signatures
            return
        import onnxruntime as ort

        so = ort.SessionOptions()
        threads = self.options.ort_intra_op_threads or self.options.threads
        if threads:
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
        so.log_severity_level = 3  # errors only: the load error below carries the message
        try:
            self._session = ort.InferenceSession(str(file), so, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise RuntimeError(f"cannot load ONNX model {file.name}: {exc}") from exc
        self._signatures = {"serving_default": Signature(
            PREDICT_METHOD,
            inputs={a.name: _spec(a) for a in self._session.get_inputs()},
            outputs={a.name: _spec(a) for a in self._session.get_outputs()})}

    @property
    def signatures(self) -> dict[str, Signature]:
        return self._signatures

    def predict(self, signature_name: str, inputs: dict[str, np.ndarray],
                output_keys: list[str] | None = None) -> dict[str, np.ndarray]:
        if self._delegate is not None:
            return self._delegate.predict(signature_name, inputs, output_keys)
        signature = self._signatures[signature_name]
        keys = list(output_keys) if output_keys else list(signature.outputs)
        try:
            values = self._session.run(keys, inputs)
        except Exception as exc:  # ORT reports bad shapes/types as its own exception types
            raise InvalidArgument(f"ONNX Runtime rejected the input: {exc}") from exc
        return dict(zip(keys, values))

    def unload(self) -> None:
        if self._delegate is not None:
            self._delegate.unload()
        self._delegate = self._session = None


def _spec(arg) -> TensorSpec:
    kind = arg.type[len("tensor("):-1] if arg.type.startswith("tensor(") else arg.type
    if kind not in _ORT_NUMPY:
        raise ValueError(f"ONNX tensor {arg.name} has type {arg.type}, which cannot be served")
    shape = None if arg.shape is None else tuple(
        d if isinstance(d, int) and d >= 0 else -1 for d in arg.shape)
    return TensorSpec(tensor_name=arg.name, dtype=tf_dtype_of(_ORT_NUMPY[kind]), shape=shape)
