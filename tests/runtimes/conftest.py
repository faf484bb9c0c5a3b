"""Fixtures for the runtime tests: the checked-in tiny models and a load/unload helper."""

from __future__ import annotations

from pathlib import Path

import pytest

from serving.runtimes.base import RuntimeOptions

MODELS = Path(__file__).resolve().parent / "models"


@pytest.fixture
def load():
    """load(cls, model_name, **options) -> a loaded runtime, unloaded after the test."""
    loaded = []

    def _load(cls, name: str, **options):
        runtime = cls(MODELS / name / "1", RuntimeOptions(**options))
        runtime.load()
        loaded.append(runtime)
        return runtime

    yield _load
    for runtime in loaded:
        runtime.unload()
