"""OpenVINO IR models (`*.xml` + `*.bin`), and ONNX files when ONNXRuntime delegates here.

Compiled for the CPU with `RuntimeOptions`' performance hint, streams and precision (the
default precision is the device's: bf16 on CPUs with AMX/AVX512-BF16, else f32). Concurrent
predicts each take an InferRequest from a pool, so THROUGHPUT streams run side by side.
The framework is imported in `load()` only; `RuntimeOptions.threads` is not applied (OpenVINO
sizes its threads from the hint and streams).
"""

from __future__ import annotations

import queue
from pathlib import Path

import numpy as np

from serving.errors import InvalidArgument
from serving.runtimes.base import PREDICT_METHOD, Runtime, Signature, TensorSpec
from serving.runtimes.onnx import model_file, tf_dtype_of


def ir_files(path: Path) -> list[Path]:
    """The *.xml files in a directory that have their *.bin beside them."""
    return [x for x in sorted(path.glob("*.xml")) if x.with_suffix(".bin").is_file()]


class OpenVINORuntime(Runtime):
    format_name = "openvino"

    def __init__(self, path: Path, options=None, *, model_file: Path | None = None) -> None:
        super().__init__(path, options)
        self._file = model_file  # set by ONNXRuntime to run an .onnx file
        self._compiled = None
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._inputs: dict[str, object] = {}  # signature key -> port
        self._outputs: dict[str, object] = {}
        self._signatures: dict[str, Signature] = {}

    @classmethod
    def accepts(cls, path: Path) -> bool:
        return bool(ir_files(path))

    def config(self) -> dict[str, str]:
        """The compile_model properties these options ask for."""
        o = self.options
        config = {"PERFORMANCE_HINT": o.openvino_hint}
        if o.openvino_streams:
            config["NUM_STREAMS"] = str(o.openvino_streams)
        if o.openvino_precision:
            config["INFERENCE_PRECISION_HINT"] = o.openvino_precision
        return config

    def load(self) -> None:
        import openvino as ov

        file = self._file
        if file is None:
            found = ir_files(self.path)
            preferred = [f for f in found if f.stem == "model"]
            file = (preferred or found or [model_file(self.path, "*.xml")])[0]
        core = ov.Core()
        try:
            model = core.read_model(str(file))
            self._compiled = core.compile_model(model, "CPU", self.config())
        except Exception as exc:
            raise RuntimeError(f"cannot load {file.name} with OpenVINO: {_message(exc)}") from exc
        self._inputs = {_name(p, "input", i): p for i, p in enumerate(self._compiled.inputs)}
        self._outputs = {_name(p, "output", i): p for i, p in enumerate(self._compiled.outputs)}
        self._signatures = {"serving_default": Signature(
            PREDICT_METHOD, inputs={k: _spec(p) for k, p in self._inputs.items()},
            outputs={k: _spec(p) for k, p in self._outputs.items()})}

    @property
    def signatures(self) -> dict[str, Signature]:
        return self._signatures

    @property
    def precision(self) -> str:
        """The precision the CPU plugin runs at, e.g. "bf16" or "f32"."""
        return self._compiled.get_property("INFERENCE_PRECISION_HINT").to_string()

    def predict(self, signature_name: str, inputs: dict[str, np.ndarray],
                output_keys: list[str] | None = None) -> dict[str, np.ndarray]:
        keys = list(output_keys) if output_keys else list(self._outputs)
        try:
            request = self._requests.get_nowait()
        except queue.Empty:
            request = self._compiled.create_infer_request()
        try:
            results = request.infer({self._inputs[k]: v for k, v in inputs.items()})
            return {k: np.array(results[self._outputs[k]], copy=True) for k in keys}
        except (RuntimeError, ValueError, TypeError) as exc:
            raise InvalidArgument(f"OpenVINO rejected the input: {_message(exc)}") from exc
        finally:
            self._requests.put(request)

    def unload(self) -> None:
        self._requests = queue.SimpleQueue()
        self._compiled = None


def _name(port, prefix: str, index: int) -> str:
    return port.get_any_name() if port.get_names() else f"{prefix}_{index}"


def _spec(port) -> TensorSpec:
    shape = port.get_partial_shape()
    dims = None if shape.rank.is_dynamic else tuple(
        d.get_length() if d.is_static else -1 for d in shape)
    name = port.get_any_name() if port.get_names() else ""
    return TensorSpec(tensor_name=name, dtype=tf_dtype_of(port.get_element_type().to_dtype()),
                      shape=dims)


def _message(exc: Exception) -> str:
    """OpenVINO's message without its "Exception from src/...cpp" location lines."""
    lines = [line.strip() for line in str(exc).splitlines()]
    kept = [line for line in lines if line and not line.startswith("Exception from ")]
    return " ".join(kept) or type(exc).__name__
