"""The repo node's MinIO: find the binary, refuse unsafe credentials, say how to start it, seed it.

The appliance turns `server_command()` into the supervisor program `minio` and runs
`python -m modelrepo.minio seed ...` once MinIO is up. Every refusal is a `MinioSetupError`
whose message says what to do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelrepo.config import SyncConfig
from modelrepo.errors import MinioSetupError, ModelRepoError, StoreError
from modelrepo.publish import BucketStore, LocalStore
from modelrepo.store import StoreConfig, call

MINIO_PORT = 9000
INSTALL_HINT = (
    "The image build installs it (packer/, a pinned MinIO release with its checksum verified). "
    "On another machine download the release binary "
    "(https://dl.min.io/server/minio/release/linux-amd64/minio), check its sha256, "
    "chmod +x it, and either put it on PATH or set minio.binary = /path/to/minio in "
    "appliance.conf, then run 'appliance apply'.")
CREDENTIALS_HINT = (
    "Set s3.access.key (3 characters or more) and s3.secret.key (8 characters or more, "
    "e.g. from 'openssl rand -base64 30') in appliance.conf, the same on every node, then run "
    "'appliance apply'.")
# The original product shipped the first pair as defaults; the others are AWS's documented
# examples and MinIO's own default. Anyone who has read the docs knows them.
EXAMPLE_ACCESS_KEYS = frozenset({"AKIAIOSXODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE",
                                 "AKIAI44QH8DHBEXAMPLE", "minioadmin"})
EXAMPLE_SECRET_KEYS = frozenset({"wJalrXUtqFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "minioadmin"})


def find_binary(configured: str = "", path: str | None = None) -> Path:
    """The MinIO server binary: `configured` (minio.binary) if set, else `minio` on PATH."""
    if configured:
        binary = Path(configured)
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise MinioSetupError(f"minio.binary = {configured} is not an executable file. "
                                  + INSTALL_HINT)
        return binary
    found = shutil.which("minio", path=path)
    if found is None:
        raise MinioSetupError("Cannot start the model repository: the MinIO server binary was "
                              "not found (minio.binary is empty and there is no 'minio' on PATH). "
                              + INSTALL_HINT)
    return Path(found)


def check_credentials(access_key: str, secret_key: str) -> None:
    """Refuse empty, too short or well-known example keys (never echoing the secret)."""
    if not access_key or not secret_key:
        raise MinioSetupError("Refusing to start MinIO with empty credentials. " + CREDENTIALS_HINT)
    known = [name for name, value, examples in (
        ("s3.access.key", access_key, EXAMPLE_ACCESS_KEYS),
        ("s3.secret.key", secret_key, EXAMPLE_SECRET_KEYS)) if value in examples]
    if known:
        raise MinioSetupError(f"Refusing to start MinIO with a well-known example key "
                              f"({' and '.join(known)}): anyone could read and replace your "
                              "models. " + CREDENTIALS_HINT)
    if len(access_key) < 3 or len(secret_key) < 8:
        raise MinioSetupError("MinIO needs an access key of 3+ and a secret key of 8+ "
                              "characters. " + CREDENTIALS_HINT)


@dataclass(frozen=True)
class ServerCommand:
    """What supervisor runs: argv and the extra environment (holds the secret: never log)."""

    argv: tuple[str, ...]
    env: dict[str, str] = field(repr=False)
    data_dir: Path


def server_command(settings: Any, layout: Any, path: str | None = None) -> ServerCommand:
    """The MinIO command of a repo node; MinioSetupError when it must not start."""
    binary = find_binary(settings["minio.binary"], path)
    check_credentials(settings["s3.access.key"], settings["s3.secret.key"])
    data_dir = Path(layout.minio_data_dir)
    argv = (str(binary), "server", str(data_dir),
            "--address", f"{settings['node.address']}:{MINIO_PORT}", "--quiet")
    env = {"MINIO_ROOT_USER": settings["s3.access.key"],
           "MINIO_ROOT_PASSWORD": settings["s3.secret.key"],
           "MINIO_BROWSER": "off",  # no web console: the log browser shows the bucket
           "MINIO_REGION": settings["s3.region"] or "us-east-1"}
    return ServerCommand(argv, env, data_dir)


def seed(store: StoreConfig, models_dir: Path, out=sys.stderr) -> list[str]:
    """Create the bucket and upload every model of `models_dir` the bucket does not have yet.

    Idempotent: a model with any object in the bucket is left alone, so a restart, or an
    operator who deleted a built-in model's version on purpose, is never overridden by a copy.
    Returns the models uploaded.
    """
    client = store.client()
    if not call(store, "checking bucket of", lambda: client.bucket_exists(store.bucket)):
        call(store, "creating bucket", lambda: client.make_bucket(store.bucket, store.region))
    local, target, seeded = LocalStore(models_dir), BucketStore(store), []
    for model in sorted({row.model for row in local.rows()}):
        if target.versions(model):
            continue
        for folder in local.folders(model).values():  # folder names kept: 00000123 stays
            target.upload(models_dir / model / folder, model, folder, out)
        seeded.append(model)
    return seeded


def wait_ready(store: StoreConfig, timeout: float) -> None:
    """Wait until the S3 API answers (any authenticated answer counts)."""
    client, deadline = store.client(), time.monotonic() + timeout
    while True:
        try:
            call(store, "probing", lambda: client.bucket_exists(store.bucket))
            return
        except StoreError as exc:
            if exc.kind != "unreachable" or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelrepo.minio")
    sub = parser.add_subparsers(dest="command", required=True)
    seed_cmd = sub.add_parser("seed", help="create the bucket and upload the built-in models")
    seed_cmd.add_argument("--config", type=Path, required=True,
                          help="a sync.json naming the store (its models list is ignored)")
    seed_cmd.add_argument("--models-dir", type=Path, required=True)
    seed_cmd.add_argument("--wait", type=float, default=60.0, help="seconds to wait for MinIO")
    args = parser.parse_args(argv)
    try:
        store = SyncConfig.load(args.config).store
        wait_ready(store, args.wait)
        seeded = seed(store, args.models_dir)
    except ModelRepoError as exc:
        print(f"minio seed: {exc}", file=sys.stderr)
        return 1
    print(f"minio seed: {store.url}: uploaded {', '.join(seeded) or 'nothing (already seeded)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
