"""One version of one model: its lifecycle state, its runtime, its in-flight count.

States and numbers are TensorFlow Serving's ModelVersionStatus.State. A servable takes traffic
only while AVAILABLE; `acquire()`/`release()` count in-flight requests so that an unload waits
for the last of them (core/servable_handle.h's refcount).
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field
from pathlib import Path

from serving.errors import ServingError
from serving.runtimes.base import Runtime


class State(enum.IntEnum):
    UNKNOWN = 0
    START = 10
    LOADING = 20
    AVAILABLE = 30
    UNLOADING = 40
    END = 50


@dataclass
class Servable:
    model: str
    version: int
    path: Path
    state: State = State.START
    error: ServingError | None = None  # why it ended, when a load failed
    runtime: Runtime | None = None
    fingerprint: tuple = ()  # the files it was loaded from; a changed one retries a failed load
    batchers: dict = field(default_factory=dict)  # signature name -> Batcher
    _inflight: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)

    def acquire(self) -> bool:
        """Count one request in; False when the version no longer takes traffic."""
        with self._idle:
            if self.state != State.AVAILABLE:
                return False
            self._inflight += 1
            return True

    def release(self) -> None:
        with self._idle:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.notify_all()

    def stop_traffic_and_wait(self) -> None:
        """UNLOADING: no new requests; returns once in-flight ones have finished."""
        with self._idle:
            self.state = State.UNLOADING
            while self._inflight:
                self._idle.wait()

    @property
    def inflight(self) -> int:
        return self._inflight
