"""Three serving nodes (model server + model_sync each, no Envoy) fed by one S3 server.

The whole loop on real processes: push -> every node's sync -> every model server loads it;
deleting a version unloads it; stopping the store keeps every node serving.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from modelrepo.config import SyncConfig
from modelrepo.publish import BucketStore, push
from serving.config import ModelConfig, ServerConfig, VersionPolicy
from tests.modelrepo.conftest import MotoServer, wait_for

ADDRESSES = ("127.0.0.57", "127.0.0.58", "127.0.0.59")
MODEL = "half"
POLL = 0.3


def _spawn(argv: list[str], log: Path, **kw) -> subprocess.Popen:
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=out, **kw)


class Node:
    """A model server and its model_sync, as the serving role runs them under supervisor."""

    def __init__(self, address: str, root: Path, store) -> None:
        self.address, self.root = address, root
        cache = root / "model_cache"
        self.sync_config = SyncConfig(store=store, models=(MODEL,), cache_dir=cache,
                                      status_file=root / "model_sync.status.json",
                                      poll_seconds=POLL, max_backoff_seconds=1.0, nice=0)
        self.sync_config.write(root / "sync.json")
        server = ServerConfig(models=(ModelConfig(MODEL, cache / MODEL, VersionPolicy("all")),),
                              rest_address=address, grpc_address=address, poll_seconds=POLL)
        (root / "serving.json").write_text(server.to_json())
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        self.procs = [
            _spawn([sys.executable, "-m", "modelrepo.sync", "--config", str(root / "sync.json")],
                   root / "sync.log"),
            _spawn([sys.executable, "-m", "serving", "--config", str(root / "serving.json")],
                   root / "server.log", env=env),
        ]

    def available(self) -> list[int]:
        try:
            body = requests.get(f"http://{self.address}:8501/v1/models/{MODEL}", timeout=2).json()
        except (requests.RequestException, ValueError):
            return []
        return sorted(int(v["version"]) for v in body.get("model_version_status", [])
                      if v["state"] == "AVAILABLE")

    def predict(self, version: int) -> list[float]:
        url = f"http://{self.address}:8501/v1/models/{MODEL}/versions/{version}:predict"
        answer = requests.post(url, json={"instances": [1.0, 2.0]}, timeout=10)
        answer.raise_for_status()
        return answer.json()["predictions"]

    def sync_state(self) -> str | None:
        try:
            return json.loads(self.sync_config.status_file.read_text())["state"]
        except (OSError, ValueError, KeyError):
            return None

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.fixture
def cluster(tmp_path, builtin_store):
    server = MotoServer("127.0.0.52", auth=False)
    server.start()
    server.s3().create_bucket(Bucket="models")
    store = server.store("models")
    nodes = []
    try:
        for address in ADDRESSES:
            (tmp_path / address).mkdir()
            nodes.append(Node(address, tmp_path / address, store))
        yield server, store, nodes
    finally:
        for node in nodes:
            node.stop()
        server.stop()


def test_three_nodes_serve_pushed_versions_and_survive_store_outage(cluster, builtin_store):
    server, store, nodes = cluster
    src = builtin_store / "saved_model_half_plus_two_mkl" / "00000123"
    target = BucketStore(store)
    assert push(src, MODEL, target, load=False, out=io.StringIO())[0] == 1
    for node in nodes:  # servers start in parallel; allow for TensorFlow's import on 2 cores
        wait_for(lambda node=node: node.available() == [1], 90, f"v1 on {node.address}")
        assert node.predict(1) == [2.5, 3.0]
    push(src, MODEL, target, load=False, out=io.StringIO())
    for node in nodes:
        wait_for(lambda node=node: node.available() == [1, 2], 20, f"v2 on {node.address}")
    s3 = server.s3()
    for obj in s3.list_objects_v2(Bucket="models", Prefix=f"{MODEL}/1/")["Contents"]:
        s3.delete_object(Bucket="models", Key=obj["Key"])
    for node in nodes:
        wait_for(lambda node=node: node.available() == [2], 20, f"v1 unloaded on {node.address}")
    server.stop()
    for node in nodes:
        wait_for(lambda node=node: node.sync_state() == "unreachable", 20,
                 f"{node.address} sees the store unreachable")
        assert node.predict(2) == [2.5, 3.0] and node.available() == [2]
