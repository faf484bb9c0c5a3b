"""The manager: owns every servable, loads and unloads them, routes requests to them.

Shape of TensorFlow Serving's AspiredVersionsManager with the availability-preserving policy:
`reconcile()` gets a model's complete desired version set from the source, loads what is new
first, and only once a desired version is AVAILABLE unloads what is no longer desired (after
its in-flight requests). A version that fails to load ends in END with its error and never
touches the versions already serving.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from serving import runtimes
from serving.config import ModelConfig
from serving.errors import (
    Code,
    InvalidArgument,
    NotFound,
    ServingError,
    Unavailable,
    code_from_number,
)
from serving.runtimes.base import RuntimeOptions
from serving.servable import Servable, State

log = logging.getLogger("serving.manager")


class Manager:
    """Thread-safe: reconcile() runs on the source's thread, resolve() on request threads."""

    def __init__(self, models: tuple[ModelConfig, ...],
                 options: RuntimeOptions | None = None) -> None:
        self.configs = {m.name: m for m in models}
        self.options = options or RuntimeOptions()
        self._lock = threading.Lock()
        self._servables: dict[str, dict[int, Servable]] = {m.name: {} for m in models}

    # ---- routing ------------------------------------------------------------------------

    def resolve(self, name: str, version: int | None = None, label: str | None = None) -> Servable:
        """An AVAILABLE servable, acquired (call release()); TF Serving's errors otherwise."""
        while True:
            servable = self._pick(name, version, label)
            if servable.acquire():
                return servable

    def _pick(self, name: str, version: int | None, label: str | None) -> Servable:
        config = self.configs.get(name)
        if label is not None:
            if config is None or label not in config.version_labels:
                raise InvalidArgument(f"Unrecognized servable version label: {label}")
            version = config.version_labels[label]
        with self._lock:
            versions = dict(self._servables.get(name, {}))
        if version is not None:
            servable = versions.get(version)
            if servable is not None and servable.state == State.AVAILABLE:
                return servable
            if servable is not None and servable.state in (State.START, State.LOADING):
                raise Unavailable(f"Servable {name} version {version} is still loading")
            raise NotFound(f"Servable not found for request: Specific({name}, {version})")
        available = [s for s in versions.values() if s.state == State.AVAILABLE]
        if available:
            return max(available, key=lambda s: s.version)
        if any(s.state in (State.START, State.LOADING) for s in versions.values()):
            raise Unavailable(f"Servable {name} is still loading: no version is available yet")
        raise NotFound(f"Servable not found for request: Latest({name})")

    # ---- lifecycle ----------------------------------------------------------------------

    def reconcile(self, name: str, desired: dict[int, tuple[Path, tuple]]) -> None:
        """Make `name` serve exactly the desired versions ({version: (path, fingerprint)})."""
        with self._lock:
            current = self._servables[name]
            to_load = []
            for version, (path, fingerprint) in sorted(desired.items()):
                old = current.get(version)
                retry = old is not None and old.state == State.END and (
                    old.error is None or old.fingerprint != fingerprint)
                if old is None or retry:
                    current[version] = Servable(name, version, path, fingerprint=fingerprint)
                    to_load.append(current[version])
        for servable in sorted(to_load, key=lambda s: -s.version):
            self._load(servable)
        with self._lock:
            serving_desired = any(s.state == State.AVAILABLE and v in desired
                                  for v, s in current.items())
            to_unload = [s for v, s in current.items() if v not in desired
                         and s.state == State.AVAILABLE and (serving_desired or not desired)]
        for servable in to_unload:
            self._unload(servable)

    def _load(self, servable: Servable) -> None:
        servable.state = State.LOADING
        log.info("Loading servable version {name: %s version: %d} from %s",
                 servable.model, servable.version, servable.path)
        try:
            runtime = runtimes.create(servable.path, self.options)
            runtime.load()
        except Exception as exc:  # any load failure is reported, never raised  # noqa: BLE001
            servable.error = _load_error(exc)
            servable.state = State.END
            log.error("Loading servable version {name: %s version: %d} failed: %s: %s",
                      servable.model, servable.version, servable.error.code.name,
                      servable.error.message)
            return
        servable.runtime = runtime
        servable.state = State.AVAILABLE
        log.info("Successfully loaded servable version {name: %s version: %d} (%s)",
                 servable.model, servable.version, runtime.format_name)

    def _unload(self, servable: Servable) -> None:
        log.info("Unloading servable version {name: %s version: %d}",
                 servable.model, servable.version)
        servable.stop_traffic_and_wait()
        for batcher in servable.batchers.values():
            batcher.close()
        try:
            servable.runtime.unload()
        finally:
            servable.runtime = None
            servable.state = State.END
        log.info("Done unloading servable version {name: %s version: %d}",
                 servable.model, servable.version)

    def set_models(self, models: tuple[ModelConfig, ...]) -> None:
        """Serve this model list from now on; versions of dropped models unload gracefully."""
        with self._lock:
            self.configs = {m.name: m for m in models}
            dropped = [self._servables.pop(name) for name in list(self._servables)
                       if name not in self.configs]
            for name in self.configs:
                self._servables.setdefault(name, {})
        for versions in dropped:
            for servable in versions.values():
                if servable.state == State.AVAILABLE:
                    self._unload(servable)

    def unload_all(self) -> None:
        for name in self.configs:
            for servable in self.versions(name):
                if servable.state == State.AVAILABLE:
                    self._unload(servable)

    # ---- reporting ----------------------------------------------------------------------

    def versions(self, name: str) -> list[Servable]:
        """Every version this manager has seen for `name`, newest first."""
        with self._lock:
            return sorted(self._servables.get(name, {}).values(), key=lambda s: -s.version)

    def has_available(self, name: str) -> bool:
        return any(s.state == State.AVAILABLE for s in self.versions(name))


def _load_error(exc: Exception) -> ServingError:
    if isinstance(exc, ServingError):
        return exc
    code = getattr(exc, "error_code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return ServingError(message, code_from_number(code) if code is not None else Code.UNKNOWN)
