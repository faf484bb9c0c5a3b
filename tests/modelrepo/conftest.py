"""A real S3 protocol server (moto in server mode) on 127.0.0.50-59, and sync helpers.

moto is the project's only stand-in: MinIO cannot be installed without internet (SPEC §11).
The shared server checks credentials (INITIAL_NO_AUTH_ACTION_COUNT: only the IAM key made at
start is accepted), so wrong-credential tests see the real S3 error codes.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
import requests

from modelrepo.config import SyncConfig
from modelrepo.store import StoreConfig
from modelrepo.sync import Syncer

_buckets = itertools.count(1)


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    """Poll `predicate` until truthy (returned) or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class MotoServer:
    """One `python -m moto.server` process; `stop()`/`start()` keep host and port."""

    def __init__(self, host: str, auth: bool) -> None:
        self.host, self.port, self.auth = host, free_port(host), auth
        self.proc: subprocess.Popen | None = None
        self.access_key, self.secret_key = "test-access", "test-secret-key"

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        env = dict(os.environ)
        env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
        if self.auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"  # the three IAM calls below
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._up, 30, f"moto on {self.endpoint}")
        if self.auth:
            iam = boto3.client("iam", endpoint_url=f"http://{self.endpoint}",
                               region_name="us-east-1", aws_access_key_id="x",
                               aws_secret_access_key="y")
            iam.create_user(UserName="sync")
            iam.put_user_policy(UserName="sync", PolicyName="all", PolicyDocument=json.dumps(
                {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
            key = iam.create_access_key(UserName="sync")["AccessKey"]
            self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]

    def _up(self) -> bool:
        assert self.proc.poll() is None, "moto server exited"
        try:
            requests.get(f"http://{self.endpoint}/moto-api/", timeout=1)
            return True
        except requests.ConnectionError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            self.proc.wait(10)

    def store(self, bucket: str, **kw) -> StoreConfig:
        kw.setdefault("access_key", self.access_key)
        kw.setdefault("secret_key", self.secret_key)
        return StoreConfig(endpoint=self.endpoint, bucket=bucket, timeout_seconds=2.0, **kw)

    def s3(self):
        return boto3.client("s3", endpoint_url=f"http://{self.endpoint}",
                            region_name="us-east-1", aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key)


@pytest.fixture(scope="session")
def moto():
    server = MotoServer("127.0.0.50", auth=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bucket(moto):
    name = f"models-{next(_buckets)}"
    moto.s3().create_bucket(Bucket=name)
    return name


def put_model(s3, bucket: str, key_prefix: str, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        s3.put_object(Bucket=bucket, Key=f"{key_prefix}/{name}", Body=data)


def savedmodel_files(size: int = 1000) -> dict[str, bytes]:
    """A SavedModel-shaped version (the sync never loads it; names and bytes are what count)."""
    return {"variables/variables.data-00000-of-00001": os.urandom(size),
            "variables/variables.index": b"index", "saved_model.pb": b"graph" * 10}


def write_model_dir(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


class RunningSync:
    """A Syncer on a thread, with helpers to await its polls."""

    def __init__(self, config: SyncConfig) -> None:
        self.config, self.stop_event = config, threading.Event()
        self.syncer = Syncer(config)
        self.thread = threading.Thread(target=self.syncer.run, args=(self.stop_event,),
                                       daemon=True)

    def status(self) -> dict:
        try:
            return json.loads(self.config.status_file.read_text())
        except (OSError, ValueError):
            return {}

    def polls(self) -> int:
        return self.status().get("polls", 0)

    def await_polls(self, n: int, timeout: float = 20) -> dict:
        """Wait until `n` more polls than now have completed; return the status."""
        target = self.polls() + n
        wait_for(lambda: self.polls() >= target, timeout, f"{n} sync polls")
        return self.status()

    def cached(self, model: str) -> list[int]:
        return self.syncer.cache.versions(model)


@pytest.fixture
def make_sync(tmp_path):
    started: list[RunningSync] = []

    def make(store: StoreConfig, models=("m",), poll: float = 0.25, **kw) -> RunningSync:
        config = SyncConfig(store=store, models=tuple(models), cache_dir=tmp_path / "cache",
                            status_file=tmp_path / "run" / "model_sync.status.json",
                            poll_seconds=poll, **kw)
        sync = RunningSync(config)
        sync.thread.start()
        started.append(sync)
        return sync

    yield make
    for sync in started:
        sync.stop_event.set()
        sync.thread.join(10)
