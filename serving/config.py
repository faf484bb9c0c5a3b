"""The model server's own configuration, read from the JSON file `appliance render` writes.

The server does not read the appliance's key/value file: like TensorFlow Serving's
--model_config_file, it takes an explicit, already-validated description of what to serve.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from serving.runtimes.base import RuntimeOptions


@dataclass(frozen=True)
class VersionPolicy:
    kind: str = "latest"  # latest | all | specific
    count: int = 1  # for latest
    versions: tuple[int, ...] = ()  # for specific

    def __post_init__(self) -> None:
        if self.kind not in ("latest", "all", "specific"):
            raise ValueError(f"version policy must be latest, all or specific, not {self.kind!r}")
        if self.kind == "latest" and self.count < 1:
            raise ValueError("the latest version policy needs a count of at least 1")


@dataclass(frozen=True)
class BatchingConfig:
    """Server-side batching of concurrent requests into one runtime call.

    Used only for signatures whose every input and output has a dynamic first dimension.
    `timeout_micros` 0 is greedy: a batch takes what is queued now and adds no latency.
    """

    enabled: bool = True
    max_batch_size: int = 64  # rows (sum of first dimensions) per runtime call
    timeout_micros: int = 0  # how long a partial batch waits for more requests
    max_enqueued_batches: int = 100  # beyond this, requests get RESOURCE_EXHAUSTED
    threads: int = 1  # runtime calls in flight at once per model version

    def __post_init__(self) -> None:
        if self.max_batch_size < 1 or self.timeout_micros < 0 or self.threads < 1:
            raise ValueError("batching needs max_batch_size >= 1, timeout_micros >= 0, threads >= 1")
        if self.max_enqueued_batches < 1:
            raise ValueError("batching needs max_enqueued_batches >= 1")

    @classmethod
    def from_dict(cls, data: dict | None) -> BatchingConfig:
        return cls(**(data or {}))


@dataclass(frozen=True)
class ModelConfig:
    name: str
    base_path: Path  # holds <version>/ folders
    version_policy: VersionPolicy = VersionPolicy()
    version_labels: dict[str, int] = field(default_factory=dict)
    batching: BatchingConfig | None = None  # None: the server's default batching


@dataclass(frozen=True)
class ServerConfig:
    models: tuple[ModelConfig, ...]
    rest_address: str = "127.0.0.1"
    rest_port: int = 8501
    grpc_address: str = "127.0.0.1"
    grpc_port: int = 8500
    poll_seconds: float = 2.0
    max_request_bytes: int = 32 * 1024 * 1024
    cors_allowed_origins: tuple[str, ...] = ()
    # On SIGTERM: how long /health reports draining before the listeners close, so that peers'
    # health checks see it; in-flight requests are always awaited after that.
    drain_seconds: float = 0.0
    log_level: str = "info"
    batching: BatchingConfig = BatchingConfig()  # default for models that set none
    inference_threads: int = 2  # threads running runtime calls (batched or not)
    # The framework's own intra/inter-op threads per call; 0 is its default (all cores). 1 is
    # fastest for small models on few cores: parallelism comes from inference_threads instead.
    runtime_threads: int = 1
    # Engine choice and OpenVINO/ONNX Runtime tuning: see serving.runtimes.base.RuntimeOptions.
    onnx_runtime: str = RuntimeOptions.onnx_runtime
    ort_intra_op_threads: int = 0
    openvino_hint: str = RuntimeOptions.openvino_hint
    openvino_streams: int = 0
    openvino_precision: str = ""
    # The model sync's status file (s3 stores): /health shows its state; it never fails health,
    # since cached versions keep serving when the store is unreachable.
    store_status_file: str = ""

    def runtime_options(self) -> RuntimeOptions:
        """The RuntimeOptions every runtime of this server is built with."""
        return RuntimeOptions(
            threads=self.runtime_threads, onnx_runtime=self.onnx_runtime,
            ort_intra_op_threads=self.ort_intra_op_threads, openvino_hint=self.openvino_hint,
            openvino_streams=self.openvino_streams, openvino_precision=self.openvino_precision)

    def batching_for(self, model: ModelConfig) -> BatchingConfig:
        return model.batching or self.batching

    # What SIGHUP reloads in place; a change to anything else needs a restart.
    RELOADABLE = ("models", "batching", "poll_seconds")

    def needs_restart_after(self, old: "ServerConfig") -> bool:
        return any(getattr(self, f) != getattr(old, f) for f in self.__dataclass_fields__
                   if f not in self.RELOADABLE)

    def to_json(self) -> str:
        return json.dumps(_plain(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ServerConfig:
        data = json.loads(text)
        models = tuple(
            ModelConfig(
                name=m["name"],
                base_path=Path(m["base_path"]),
                version_policy=VersionPolicy(
                    kind=m["version_policy"]["kind"],
                    count=int(m["version_policy"].get("count", 1)),
                    versions=tuple(int(v) for v in m["version_policy"].get("versions", ())),
                ),
                version_labels={k: int(v) for k, v in m.get("version_labels", {}).items()},
                batching=BatchingConfig.from_dict(m["batching"]) if m.get("batching") else None,
            )
            for m in data.pop("models")
        )
        data["cors_allowed_origins"] = tuple(data.get("cors_allowed_origins", ()))
        if "batching" in data:
            data["batching"] = BatchingConfig.from_dict(data["batching"])
        return cls(models=models, **data)

    @classmethod
    def load(cls, path: Path) -> ServerConfig:
        return cls.from_json(path.read_text(encoding="utf-8"))


def _plain(value):
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value
