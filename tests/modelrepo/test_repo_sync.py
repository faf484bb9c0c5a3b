"""The sync against a real S3 protocol server: appear, atomic, delete, outage, credentials."""

from __future__ import annotations

import json
import subprocess
import sys

from modelrepo.config import SyncConfig
from tests.modelrepo.conftest import MotoServer, put_model, savedmodel_files, wait_for


def test_pushed_version_appears_within_poll_interval(moto, bucket, make_sync):
    sync = make_sync(moto.store(bucket), poll=0.25)
    sync.await_polls(1)
    files = savedmodel_files()
    put_model(moto.s3(), bucket, "m/1", files)
    # stable_polls = 2: seen complete on one poll, downloaded on the next (+ download time).
    wait_for(lambda: sync.cached("m") == [1], 3 * 0.25 + 2, "version 1 in the cache")
    root = sync.config.cache_dir / "m" / "1"
    assert {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} == set(files)
    assert (root / "variables/variables.data-00000-of-00001").read_bytes() == files[
        "variables/variables.data-00000-of-00001"]
    status = sync.status()
    assert status["state"] == "ok" and status["models"]["m"]["cached"] == [1]
    assert not any((sync.config.cache_dir / ".staging").iterdir())


def test_slow_upload_is_not_moved_into_place_until_complete(moto, bucket, make_sync):
    sync = make_sync(moto.store(bucket), poll=0.25)
    s3 = moto.s3()
    # The format-defining file first: only the stability rule can hold this version back.
    names = ["saved_model.pb", "variables/variables.index", "assets/a.txt", "assets/b.txt",
             "variables/variables.data-00000-of-00001"]
    seen_pending = False
    for name in names:
        s3.put_object(Bucket=bucket, Key=f"m/3/{name}", Body=b"x" * 100)
        # The poll that returns may have listed the bucket just before this object arrived,
        # so "pending" is checked over the whole upload, "not in place" after every object.
        seen_pending |= sync.await_polls(1)["models"]["m"]["pending"] == [3]
        assert sync.cached("m") == [], f"moved into place after only {name}"
    assert seen_pending
    wait_for(lambda: sync.cached("m") == [3], 5, "the complete version 3")
    assert len([p for p in (sync.config.cache_dir / "m/3").rglob("*") if p.is_file()]) == 5


def test_deleted_version_is_removed_and_unrecognised_format_rejected(moto, bucket, make_sync):
    s3 = moto.s3()
    put_model(s3, bucket, "m/1", savedmodel_files())
    put_model(s3, bucket, "m/2", savedmodel_files())
    put_model(s3, bucket, "m/4", {"readme.txt": b"not a model"})
    put_model(s3, bucket, "m/latest", savedmodel_files())
    sync = make_sync(moto.store(bucket))
    wait_for(lambda: sync.cached("m") == [1, 2], 5, "versions 1 and 2")
    status = sync.await_polls(1)
    assert "no recognised model format" in status["models"]["m"]["rejected"]["4"]
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix="m/1/")["Contents"]:
        s3.delete_object(Bucket=bucket, Key=obj["Key"])
    wait_for(lambda: sync.cached("m") == [2], 5, "version 1 removed")
    assert not (sync.config.cache_dir / "m" / "1").exists()


def test_store_outage_keeps_cache_and_sync_recovers(tmp_path, make_sync, caplog):
    server = MotoServer("127.0.0.51", auth=False)
    server.start()
    try:
        server.s3().create_bucket(Bucket="models")
        put_model(server.s3(), "models", "m/1", savedmodel_files())
        sync = make_sync(server.store("models"), poll=0.2, max_backoff_seconds=0.5)
        wait_for(lambda: sync.cached("m") == [1], 5, "version 1")
        server.stop()
        status = wait_for(lambda: sync.status().get("state") == "unreachable" and sync.status(),
                          10, "state unreachable")
        sync.await_polls(2)
        assert sync.cached("m") == [1]
        assert "store unreachable" in status["last_error"]
        assert status["models"]["m"]["cached"] == [1] and status["failing_since"]
        failures = [r for r in caplog.records if "store unreachable" in r.getMessage()]
        assert failures and all("keeping 1 cached versions" in r.getMessage() for r in failures)
        # The store comes back (moto keeps no data across restarts: upload again, and a v2).
        server.start()
        server.s3().create_bucket(Bucket="models")
        put_model(server.s3(), "models", "m/1", savedmodel_files())
        put_model(server.s3(), "models", "m/2", savedmodel_files())
        wait_for(lambda: sync.cached("m") == [1, 2], 10, "version 2 after recovery")
        assert sync.status()["state"] == "ok" and sync.status()["failing_since"] is None
    finally:
        server.stop()


def test_wrong_credentials_log_clear_line_without_secret(moto, bucket, tmp_path):
    cache = tmp_path / "cache"
    (cache / "m" / "1").mkdir(parents=True)
    (cache / "m" / "1" / "saved_model.pb").write_bytes(b"cached")
    secret = "Wr0ngSecretValue/DoNotLog"
    config = SyncConfig(store=moto.store(bucket, secret_key=secret), models=("m",),
                        cache_dir=cache, status_file=tmp_path / "status.json", poll_seconds=0.2,
                        max_backoff_seconds=0.4)
    config_file = tmp_path / "sync.json"
    config.write(config_file)
    assert config_file.stat().st_mode & 0o077 == 0
    proc = subprocess.Popen([sys.executable, "-m", "modelrepo.sync", "--config", str(config_file)],
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: json.loads(config.status_file.read_text())["polls"] >= 3
                 if config.status_file.exists() else False, 20, "three failed polls")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    lines = [line for line in err.splitlines() if "credentials rejected" in line]
    assert len(lines) >= 3, err
    assert "SignatureDoesNotMatch" in lines[0] and "s3.secret.key" in lines[0]
    assert secret not in err
    status = json.loads(config.status_file.read_text())
    assert status["state"] == "credentials" and secret not in json.dumps(status)
    assert (cache / "m" / "1" / "saved_model.pb").read_bytes() == b"cached"
