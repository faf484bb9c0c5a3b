"""PMML models (`*.pmml`), scored by pypmml (PMML4S in a Java VM reached through py4j).

How PMML's named scalar fields map to TensorFlow Serving's tensors: every input field (the
model's active fields) is one signature input, and every output field (the PMML Output
element, or the targets when it has none) is one signature output, each of shape [-1]: one
value per instance. So row-format requests send one object per instance,
`{"instances": [{"x1": 1.0, "x2": "a"}]}`, and get one object per instance carrying every
output field; columnar requests send `{"inputs": {"x1": [..], "x2": [..]}}`. Types: double ->
DT_DOUBLE, float -> DT_FLOAT, integer -> DT_INT64, boolean -> DT_BOOL, string (and anything
else) -> DT_STRING. A missing value is sent as NaN (numbers) and comes back as NaN or "".

Scoring a batch is one call into the JVM (a JSON table), serialised per model by a lock.
The JVM starts with the first PMML model of the process and is shared by all of them.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import numpy as np

from serving.errors import InvalidArgument
from serving.runtimes.base import PREDICT_METHOD, Runtime, Signature, TensorSpec
from serving.runtimes.onnx import model_file, tf_dtype_of

_NUMPY_OF = {"double": np.float64, "float": np.float32, "real": np.float64,
             "integer": np.int64, "boolean": np.bool_}


def _numpy(data_type: str):
    return _NUMPY_OF.get(data_type.lower(), np.object_)


class PMMLRuntime(Runtime):
    format_name = "pmml"

    def __init__(self, path: Path, options=None) -> None:
        super().__init__(path, options)
        self._model = None
        self._lock = threading.Lock()
        self._in_types: dict[str, object] = {}
        self._out_types: dict[str, object] = {}
        self._signatures: dict[str, Signature] = {}

    @classmethod
    def accepts(cls, path: Path) -> bool:
        return next(path.glob("*.pmml"), None) is not None

    def load(self) -> None:
        from pypmml import Model

        file = model_file(self.path, "*.pmml")
        try:
            self._model = Model.fromFile(str(file))
        except Exception as exc:
            raise RuntimeError(f"cannot load PMML model {file.name}: not a valid PMML document "
                               f"({_java_message(exc)})") from exc
        self._in_types = {f.name: _numpy(f.dataType) for f in self._model.inputFields}
        outputs = self._model.outputFields or self._model.targetFields
        self._out_types = {f.name: _numpy(f.dataType) for f in outputs}
        self._signatures = {"serving_default": Signature(
            PREDICT_METHOD,
            inputs={k: _spec(k, t) for k, t in self._in_types.items()},
            outputs={k: _spec(k, t) for k, t in self._out_types.items()})}

    @property
    def signatures(self) -> dict[str, Signature]:
        return self._signatures

    @property
    def function_name(self) -> str:
        """"regression" or "classification" (PMML's functionName)."""
        return self._model.functionName

    def predict(self, signature_name: str, inputs: dict[str, np.ndarray],
                output_keys: list[str] | None = None) -> dict[str, np.ndarray]:
        names = list(self._in_types)
        columns = [np.asarray(inputs[n]).reshape(-1) for n in names]
        if len({len(c) for c in columns}) > 1:
            raise InvalidArgument("PMML inputs must all have one value per instance; got "
                                  + ", ".join(f"{n}: {len(c)}" for n, c in zip(names, columns)))
        rows = [[_plain(c[i]) for c in columns] for i in range(len(columns[0]) if columns else 0)]
        table = json.dumps({"columns": names, "data": rows})
        with self._lock:
            try:
                answer = json.loads(self._model.call("predict", table))
            except Exception as exc:
                raise InvalidArgument(f"PMML scoring failed: {_java_message(exc)}") from exc
        keys = list(output_keys) if output_keys else list(self._out_types)
        index = {c: i for i, c in enumerate(answer["columns"])}
        return {k: _column(answer["data"], index.get(k), self._out_types[k]) for k in keys}

    def unload(self) -> None:
        self._model = None  # the Java object is freed by the JVM's GC once py4j lets go


def _spec(name: str, dtype) -> TensorSpec:
    return TensorSpec(tensor_name=name, dtype=tf_dtype_of(dtype), shape=(-1,))


def _plain(value):
    """A JSON-ready scalar; NaN becomes null (PMML's missing value)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _column(rows: list, i: int | None, dtype) -> np.ndarray:
    values = [None if i is None else r[i] for r in rows]
    if dtype is np.object_:
        return np.array([b"" if v is None else str(v).encode() for v in values], dtype=object)
    if np.dtype(dtype).kind == "f":
        return np.array([math.nan if v is None else v for v in values], dtype=dtype)
    return np.array([0 if v is None else v for v in values], dtype=dtype)


def _java_message(exc: Exception) -> str:
    """The Java exception's class and message, without py4j's stack trace."""
    if len(exc.args) == 2 and all(isinstance(a, str) for a in exc.args):
        return f"{exc.args[0]}: {exc.args[1]}"  # pypmml's (class, message) form
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
