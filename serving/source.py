"""The source: polls each model's base path and reports its desired version set.

Like TensorFlow Serving's FileSystemStoragePathSource: version folders are positive integer
names (others are ignored), the version policy picks latest-N, all, or specific versions, and
the manager is told the complete desired set every poll.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from serving.config import ModelConfig, VersionPolicy
from serving.manager import Manager

log = logging.getLogger("serving.source")


def version_dirs(base_path: Path) -> dict[int, Path]:
    """Integer-named subdirectories of a model's base path (missing path: none)."""
    found: dict[int, Path] = {}
    try:
        entries = list(base_path.iterdir())
    except OSError:
        return found
    for entry in entries:
        if entry.name.isdigit() and int(entry.name) > 0 and entry.is_dir():
            found.setdefault(int(entry.name), entry)
    return found


def select(policy: VersionPolicy, available: dict[int, Path]) -> dict[int, Path]:
    if policy.kind == "all":
        chosen = sorted(available)
    elif policy.kind == "specific":
        chosen = [v for v in policy.versions if v in available]
    else:
        chosen = sorted(available)[-policy.count:]
    return {v: available[v] for v in chosen}


def fingerprint(path: Path) -> tuple:
    """Names, sizes and mtimes of the files at the top of a version dir."""
    try:
        return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns)
                            for e in path.iterdir()))
    except OSError:
        return ()


class Source:
    """Runs `poll_once()` every `poll_seconds` on its own thread until `stop()`."""

    def __init__(self, models: tuple[ModelConfig, ...], manager: Manager,
                 poll_seconds: float) -> None:
        self.models = models
        self.manager = manager
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="model-source", daemon=True)
        self._warned: set[str] = set()

    def poll_once(self) -> None:
        for model in self.models:
            available = version_dirs(model.base_path)
            if not available and model.name not in self._warned:
                log.warning("No versions of servable %s found under base path %s",
                            model.name, model.base_path)
                self._warned.add(model.name)
            desired = select(model.version_policy, available)
            try:
                self.manager.reconcile(
                    model.name, {v: (p, fingerprint(p)) for v, p in desired.items()})
            except Exception:  # one model's trouble must not stop the others
                log.exception("Reconciling model %s failed", model.name)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.poll_seconds)
