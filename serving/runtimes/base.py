"""The contract every model format implements: one loaded version of one model.

A runtime is constructed cheaply (no I/O), `load()` does the expensive work once, and after that
`signatures` describes what `predict` accepts. The manager calls `predict` from several threads
at once; a runtime whose framework is not thread-safe serialises internally.

Errors: `predict` raises `serving.errors.ServingError` (with its canonical code) for anything
the client caused, e.g. a framework error about a bad shape mapped to INVALID_ARGUMENT; any other
exception is reported to the client as INTERNAL. `load` may raise anything: the message is
shown in the version's status and in the log.

Registering a runtime: add its module here and one line to `serving.runtimes.RUNTIMES`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PREDICT_METHOD = "tensorflow/serving/predict"
CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a signature, as TensorFlow Serving's metadata shows it."""

    tensor_name: str  # the framework's own name, e.g. "x:0"; shown in metadata
    dtype: int  # a tensorflow.DataType enum value (types_pb2.DT_FLOAT, ...)
    shape: tuple[int, ...] | None  # -1 for a dynamic dimension; None for unknown rank


@dataclass(frozen=True)
class Signature:
    method_name: str
    inputs: dict[str, TensorSpec]
    outputs: dict[str, TensorSpec]
    defaults: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RuntimeOptions:
    """Tuning shared by runtimes; each uses what applies to it."""

    threads: int = 0  # 0: the framework's default for this machine (all cores)
    # Which engine serves *.onnx files: "openvino" or "onnxruntime". The default is the one
    # measured faster here (benchmarks/runtime_bench.py, ResNet-50 ONNX, batch 1, 2 shared
    # cores, median of 3 x 3 s): OpenVINO 2026.4 at its default precision (bf16) 43.8/s vs
    # ONNX Runtime 1.32 (f32) 20.3/s (OpenVINO forced to f32: 12.4/s on the ONNX file).
    onnx_runtime: str = "openvino"
    ort_intra_op_threads: int = 0  # ONNX Runtime per-call threads; 0: `threads`, else its default
    # OpenVINO: "LATENCY" runs one request on all cores; "THROUGHPUT" runs `openvino_streams`
    # requests side by side, which suits a server taking concurrent requests.
    openvino_hint: str = "THROUGHPUT"
    openvino_streams: int = 0  # 0: OpenVINO picks for this machine's cores
    openvino_precision: str = ""  # "": the device default (bf16 where the CPU has it); "f32"

    def __post_init__(self) -> None:
        if self.onnx_runtime not in ("openvino", "onnxruntime"):
            raise ValueError(f"onnx_runtime must be openvino or onnxruntime, "
                             f"not {self.onnx_runtime!r}")
        if self.openvino_hint not in ("LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT"):
            raise ValueError(f"openvino_hint must be LATENCY or THROUGHPUT, "
                             f"not {self.openvino_hint!r}")
        if self.openvino_precision not in ("", "f32", "bf16", "f16"):
            raise ValueError(f"openvino_precision must be empty, f32, bf16 or f16, "
                             f"not {self.openvino_precision!r}")
        if min(self.threads, self.ort_intra_op_threads, self.openvino_streams) < 0:
            raise ValueError("threads and streams must be 0 (automatic) or positive")


class Runtime(ABC):
    format_name: str = ""  # "tensorflow", "openvino", "onnx", "pmml"

    def __init__(self, path: Path, options: RuntimeOptions | None = None) -> None:
        self.path = path
        self.options = options or RuntimeOptions()

    @classmethod
    @abstractmethod
    def accepts(cls, path: Path) -> bool:
        """True when the files in this version directory are this runtime's format."""

    @abstractmethod
    def load(self) -> None:
        """Read the model; raise any exception with a clear message when it cannot load."""

    @property
    @abstractmethod
    def signatures(self) -> dict[str, Signature]:
        """Signature name -> Signature, valid after load(). Includes "serving_default"."""

    @abstractmethod
    def predict(self, signature_name: str, inputs: dict[str, np.ndarray],
                output_keys: list[str] | None = None) -> dict[str, np.ndarray]:
        """Run one signature on already-validated inputs; return the requested outputs.

        `inputs` has exactly the signature's input keys, each array already of the input's
        numpy dtype (DT_STRING: an object array of bytes); `output_keys` None means all.
        """

    def unload(self) -> None:
        """Release the model's memory; called once, after the last in-flight request."""
