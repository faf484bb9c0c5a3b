"""Session-wide fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from appliance.builtin import ensure_builtin_models


@pytest.fixture(scope="session")
def builtin_store(tmp_path_factory):
    """The built-in models, generated once by the project's own scripts."""
    store = tmp_path_factory.mktemp("builtin-models")
    ensure_builtin_models(store, log=lambda _: None)
    return store
