"""The model server's own configuration, read from the JSON file `appliance render` writes.

The server does not read the appliance's key/value file: like TensorFlow Serving's
--model_config_file, it takes an explicit, already-validated description of what to serve.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


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
class ModelConfig:
    name: str
    base_path: Path  # holds <version>/ folders
    version_policy: VersionPolicy = VersionPolicy()
    version_labels: dict[str, int] = field(default_factory=dict)


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

    def to_json(self) -> str:
        return json.dumps(_plain(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "ServerConfig":
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
            )
            for m in data.pop("models")
        )
        data["cors_allowed_origins"] = tuple(data.get("cors_allowed_origins", ()))
        return cls(models=models, **data)

    @classmethod
    def load(cls, path: Path) -> "ServerConfig":
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
