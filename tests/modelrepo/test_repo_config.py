"""The sync.json the appliance renders from appliance.conf, and the status line it shows."""

from __future__ import annotations

from appliance.layout import Layout
from appliance.settings import parse_text
from modelrepo import status
from modelrepo.config import SyncConfig, from_settings


def test_sync_config_from_settings_round_trips(tmp_path):
    settings = parse_text("s3.type = s3\nmodel.base.path = s3://team-models/prod\n"
                          "model.name = a,b\ns3.access.key = AK\ns3.secret.key = SECRET123\n"
                          "model.poll.seconds = 5\ns3.sync.mib.per.second = 10\n")
    layout = Layout.for_home(tmp_path)
    config = from_settings(settings, layout)
    assert config.store.endpoint == "s3.amazonaws.com" and config.store.secure
    assert (config.store.bucket, config.store.prefix) == ("team-models", "prod")
    assert config.models == ("a", "b") and config.poll_seconds == 5
    assert config.max_mb_per_second == 10
    assert config.cache_dir == layout.data_dir / "model_cache"
    assert config.status_file == layout.run_dir / "model_sync.status.json"
    assert "SECRET123" not in repr(config)
    path = tmp_path / "sync.json"
    config.write(path)
    assert SyncConfig.load(path) == config and path.stat().st_mode & 0o777 == 0o600


def test_minio_defaults_to_plain_http_and_models_bucket(tmp_path):
    settings = parse_text("s3.type = minio\ns3.endpoint = 10.0.0.5:9000\n")
    store = from_settings(settings, Layout.for_home(tmp_path)).store
    assert (store.endpoint, store.bucket, store.prefix, store.secure) == (
        "10.0.0.5:9000", "models", "", False)


def test_describe_status_for_operators():
    line = status.describe({"state": "unreachable", "store": "s3://models at http://h:9000",
                            "failing_since": "2026-11-23T11:00:00Z", "last_error": "boom",
                            "updated_unix": 0})
    assert "store unreachable since 2026-11-23T11:00:00Z" in line
    assert "serving cached versions" in line and "is model_sync running?" in line
    assert status.describe(None) == "model sync: no status yet"
