"""Publishing: validation, local and bucket pushes, listing, and s3cmd giving the same layout."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys

import pytest

from modelrepo.errors import PublishError
from modelrepo.publish import BucketStore, LocalStore, push
from tests.modelrepo.conftest import savedmodel_files, wait_for, write_model_dir

HALF = "saved_model_half_plus_two_mkl"


def _keys(s3, bucket: str) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_push_refuses_unrecognised_and_unloadable(tmp_path):
    junk = write_model_dir(tmp_path / "junk", {"model.txt": b"hello"})
    with pytest.raises(PublishError, match="no recognised model format"):
        push(junk, "m", LocalStore(tmp_path / "store"), load=False)
    broken = write_model_dir(tmp_path / "broken", {"saved_model.pb": b"not a protobuf"})
    with pytest.raises(PublishError, match="tensorflow runtime cannot load it"):
        push(broken, "m", LocalStore(tmp_path / "store"), out=io.StringIO())
    assert not (tmp_path / "store" / "m").exists()


def test_push_local_store_next_version_atomic_and_list(tmp_path, builtin_store):
    store = LocalStore(tmp_path / "store")
    src = builtin_store / HALF / "00000123"
    out = io.StringIO()
    assert push(src, "half", store, out=out) == (1, "tensorflow")  # loads in the TF runtime
    assert push(src, "half", store, load=False, out=out) == (2, "tensorflow")
    assert push(src, "half", store, version=7, load=False, out=out) == (7, "tensorflow")
    with pytest.raises(PublishError, match="already exists"):
        push(src, "half", store, version=7, load=False, out=out)
    assert "100%" in out.getvalue()
    assert sorted(p.name for p in (tmp_path / "store" / "half").iterdir()) == ["1", "2", "7"]
    assert not any((tmp_path / "store" / ".push-staging").iterdir())
    rows = store.rows()
    assert [(r.model, r.version, r.format) for r in rows] == [
        ("half", 1, "tensorflow"), ("half", 2, "tensorflow"), ("half", 7, "tensorflow")]
    assert rows[0].bytes == sum(p.stat().st_size for p in src.rglob("*") if p.is_file())


def test_push_to_bucket_syncs_and_matches_s3cmd_layout(moto, bucket, tmp_path, make_sync):
    s3cmd = shutil.which("s3cmd")
    assert s3cmd, "s3cmd missing: run .ci/system-deps (Debian package s3cmd)"
    files = savedmodel_files(300_000)
    src = write_model_dir(tmp_path / "src", files)
    target = BucketStore(moto.store(bucket))
    assert push(src, "pushed", target, load=False, out=io.StringIO()) == (1, "tensorflow")
    # The original product's way: s3cmd sync of a <model>/<version>/ tree into the bucket.
    tree = tmp_path / "tree" / "viacmd" / "1"
    write_model_dir(tree, files)
    cfg = tmp_path / "s3cfg"
    cfg.write_text(f"[default]\naccess_key = {moto.access_key}\nsecret_key = {moto.secret_key}\n"
                   f"host_base = {moto.endpoint}\nhost_bucket = {moto.endpoint}\n"
                   "use_https = False\nbucket_location = us-east-1\nsignature_v2 = False\n")
    subprocess.run([s3cmd, "-c", str(cfg), "--no-progress", "sync",
                    str(tmp_path / "tree" / "viacmd"), f"s3://{bucket}/"],
                   check=True, capture_output=True, timeout=60)
    keys = _keys(moto.s3(), bucket)
    assert {k.removeprefix("pushed/") for k in keys if k.startswith("pushed/")} == {
        k.removeprefix("viacmd/") for k in keys if k.startswith("viacmd/")} == {
        f"1/{n}" for n in files}
    sync = make_sync(moto.store(bucket), models=("pushed", "viacmd"))
    wait_for(lambda: sync.cached("pushed") == [1] and sync.cached("viacmd") == [1], 5,
             "both models in the cache")
    for model in ("pushed", "viacmd"):
        got = sync.config.cache_dir / model / "1" / "variables/variables.data-00000-of-00001"
        assert got.read_bytes() == files["variables/variables.data-00000-of-00001"]
    assert push(src, "pushed", target, load=False, out=io.StringIO())[0] == 2
    assert [(r.model, r.version) for r in target.rows()] == [
        ("pushed", 1), ("pushed", 2), ("viacmd", 1)]


def test_appliance_models_cli(tmp_path, moto, bucket):
    home = tmp_path / "home"
    home.mkdir()
    (home / "appliance.conf").write_text(
        f"s3.type = s3\ns3.endpoint = {moto.endpoint}\ns3.tls = false\n"
        f"model.base.path = s3://{bucket}/team\ns3.access.key = {moto.access_key}\n"
        f"s3.secret.key = {moto.secret_key}\n")
    src = write_model_dir(tmp_path / "src", savedmodel_files())
    cli = [sys.executable, "-m", "appliance.cli", "--home", str(home), "models"]
    done = subprocess.run(cli + ["push", str(src), "--name", "m", "--no-load"],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "pushed m version 1 (tensorflow)" in done.stdout
    assert "team/m/1/saved_model.pb" in _keys(moto.s3(), bucket)
    listed = subprocess.run(cli + ["list"], check=False, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and "m" in listed.stdout and "tensorflow" in listed.stdout
    assert moto.secret_key not in listed.stdout + listed.stderr + done.stdout + done.stderr
