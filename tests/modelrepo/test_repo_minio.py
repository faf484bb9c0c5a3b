"""The repo role's MinIO pieces: binary lookup, credential refusals, command, seeding."""

from __future__ import annotations

import pytest

from appliance.layout import Layout
from appliance.settings import parse_text
from modelrepo.errors import MinioSetupError, ModelRepoError
from modelrepo.minio import find_binary, seed, server_command
from modelrepo.publish import BucketStore

GOOD = "s3.access.key = repoadmin\ns3.secret.key = a-long-random-secret-1234\n"
BASE = "node.role = modelrepo\nserving.nodes = 127.0.0.52\nnode.address = 127.0.0.52\n" \
       "s3.type = minio\ns3.endpoint = 127.0.0.52:9000\n"


@pytest.fixture
def fake_minio(tmp_path):
    binary = tmp_path / "bin" / "minio"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    return binary


def test_refuses_without_binary_and_says_how_to_install(tmp_path):
    settings = parse_text(BASE + GOOD)
    with pytest.raises(MinioSetupError) as err:
        server_command(settings, Layout.for_home(tmp_path), path=str(tmp_path / "empty"))
    assert "not found" in str(err.value) and "minio.binary" in str(err.value)
    assert "packer" in str(err.value) and isinstance(err.value, ModelRepoError)
    with pytest.raises(MinioSetupError, match="not an executable file"):
        find_binary(str(tmp_path / "nope"))


@pytest.mark.parametrize(("access", "secret"), [
    ("AKIAIOSXODNN7EXAMPLE", "wJalrXUtqFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),  # the original's
    ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),  # AWS's docs
    ("repoadmin", "wJalrXUtqFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("minioadmin", "minioadmin"),
])
def test_refuses_example_keys(tmp_path, fake_minio, access, secret):
    settings = parse_text(BASE + f"s3.access.key = {access}\ns3.secret.key = {secret}\n")
    with pytest.raises(MinioSetupError) as err:
        server_command(settings, Layout.for_home(tmp_path), path=str(fake_minio.parent))
    assert "example key" in str(err.value) and "s3.secret.key" in str(err.value)
    assert settings["s3.secret.key"] not in str(err.value)


def test_refuses_empty_credentials(tmp_path, fake_minio):
    settings = parse_text(BASE)
    with pytest.raises(MinioSetupError, match="empty credentials.*Set s3.access.key"):
        server_command(settings, Layout.for_home(tmp_path), path=str(fake_minio.parent))


def test_command_and_environment(tmp_path, fake_minio):
    layout = Layout.for_home(tmp_path)
    cmd = server_command(parse_text(BASE + GOOD + f"minio.binary = {fake_minio}\n"), layout,
                         path="")
    assert cmd.argv[:3] == (str(fake_minio), "server", str(layout.minio_data_dir))
    assert cmd.argv[cmd.argv.index("--address") + 1] == "127.0.0.52:9000"
    assert cmd.env["MINIO_ROOT_USER"] == "repoadmin"
    assert cmd.env["MINIO_ROOT_PASSWORD"] == "a-long-random-secret-1234"
    assert "a-long-random-secret-1234" not in repr(cmd)


def test_seed_creates_bucket_and_uploads_builtin_models_once(moto, builtin_store):
    store = moto.store("seeded-models")
    assert seed(store, builtin_store) == ["efficientnet_lite0", "saved_model_half_plus_two_mkl"]
    rows = BucketStore(store).rows()
    assert sorted((r.model, r.version, r.format) for r in rows) == [
        ("efficientnet_lite0", 1, "onnx"), ("saved_model_half_plus_two_mkl", 123, "tensorflow")]
    keys = {o["Key"] for o in moto.s3().list_objects_v2(Bucket="seeded-models")["Contents"]}
    local = {str(p.relative_to(builtin_store)) for p in builtin_store.rglob("*") if p.is_file()}
    assert keys == local  # same layout as the local store, 00000123 included
    assert seed(store, builtin_store) == []
