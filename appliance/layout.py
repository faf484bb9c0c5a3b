"""Where a node keeps its state: a state directory for local runs, FHS paths on the image.

Both layouts have the same parts, so every other module takes a `Layout` and never builds
paths of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    config_file: Path  # the one key/value file the operator edits
    models_dir: Path  # the local model store: <models_dir>/<model>/<version>/
    log_dir: Path  # every log of the node
    run_dir: Path  # rendered configs, sockets, pid files: rewritten by `appliance render`
    data_dir: Path  # persistent data of the node's services (MinIO's data on a repo node)

    @classmethod
    def for_home(cls, home: Path) -> "Layout":
        home = home.resolve()
        return cls(config_file=home / "appliance.conf", models_dir=home / "models",
                   log_dir=home / "logs", run_dir=home / "run", data_dir=home / "data")

    @classmethod
    def system(cls) -> "Layout":
        return cls(config_file=Path("/etc/appliance/appliance.conf"),
                   models_dir=Path("/data/models"), log_dir=Path("/var/log/appliance"),
                   run_dir=Path("/run/appliance"), data_dir=Path("/data"))

    @classmethod
    def select(cls, home: str | None) -> "Layout":
        """--home, else $APPLIANCE_HOME, else the image's system paths."""
        chosen = home or os.environ.get("APPLIANCE_HOME")
        return cls.for_home(Path(chosen)) if chosen else cls.system()

    # Rendered files and runtime sockets, all under run_dir.
    @property
    def envoy_dir(self) -> Path:
        return self.run_dir / "envoy"

    @property
    def supervisor_dir(self) -> Path:
        return self.run_dir / "supervisor"

    @property
    def supervisor_socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    @property
    def envoy_admin_socket(self) -> Path:
        return self.run_dir / "envoy-admin.sock"

    @property
    def serving_config(self) -> Path:
        return self.run_dir / "serving.json"

    @property
    def minio_data_dir(self) -> Path:
        return self.data_dir / "minio" / "data"
