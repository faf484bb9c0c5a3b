"""The sync's own JSON configuration, rendered by the appliance into <run_dir>/sync.json.

Like serving/config.py: the sync never reads the appliance's key/value file. The file holds the
S3 secret key, so it is written readable by its owner only (see `write`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from modelrepo.store import StoreConfig
from modelrepo.store import from_settings as store_from_settings

CACHE_DIR_NAME = "model_cache"  # the same folder as appliance.render.model_store_path
STATUS_FILE_NAME = "model_sync.status.json"
CONFIG_FILE_NAME = "sync.json"


@dataclass(frozen=True)
class SyncConfig:
    store: StoreConfig
    models: tuple[str, ...]
    cache_dir: Path  # the model server's base: <cache_dir>/<model>/<version>/
    status_file: Path
    poll_seconds: float = 2.0
    stable_polls: int = 2  # identical listings in a row before a new version is downloaded
    max_backoff_seconds: float = 60.0
    workers: int = 4  # parallel object downloads
    nice: int = 10  # CPU priority below the model server: a sync must not raise serving latency
    max_mb_per_second: float = 0.0  # download bandwidth cap in MiB/s; 0: unlimited
    log_level: str = "info"
    extra: dict[str, Any] = field(default_factory=dict)  # ignored keys, for forward compatibility

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("extra")
        data["models"] = list(self.models)
        data["cache_dir"], data["status_file"] = str(self.cache_dir), str(self.status_file)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SyncConfig:
        data = json.loads(text)
        known = set(cls.__dataclass_fields__) - {"extra"}
        extra = {k: data.pop(k) for k in list(data) if k not in known}
        return cls(store=StoreConfig(**data.pop("store")), models=tuple(data.pop("models")),
                   cache_dir=Path(data.pop("cache_dir")), status_file=Path(data.pop("status_file")),
                   extra=extra, **data)

    @classmethod
    def load(cls, path: Path) -> SyncConfig:
        return cls.from_json(path.read_text(encoding="utf-8"))

    def write(self, path: Path) -> None:
        """Write the file mode 0600 (it holds the secret key); replace an older one atomically."""
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(self.to_json())
        os.replace(tmp, path)


def cache_dir(layout: Any) -> Path:
    """Where a serving node with s3.type != none keeps the models: the server's base path."""
    return Path(layout.data_dir) / CACHE_DIR_NAME


def status_file(layout: Any) -> Path:
    return Path(layout.run_dir) / STATUS_FILE_NAME


def from_settings(settings: Any, layout: Any) -> SyncConfig:
    """What `appliance render` writes to <run_dir>/sync.json for a serving node."""
    return SyncConfig(store=store_from_settings(settings), models=tuple(settings.models),
                      cache_dir=cache_dir(layout), status_file=status_file(layout),
                      poll_seconds=float(settings["model.poll.seconds"]),
                      max_mb_per_second=float(settings["s3.sync.mib.per.second"]),
                      log_level=settings["log.level"])

