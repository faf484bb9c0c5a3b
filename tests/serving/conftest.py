"""Real model-server processes on loopback (127.0.0.2-9) serving copies of tiny test models."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

TESTDATA = Path("/work/shared/testdata/tfserving")
REPO = Path(__file__).resolve().parents[2]


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it returns a truthy value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (OSError, requests.RequestException):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class Server:
    proc: subprocess.Popen
    address: str
    rest_port: int
    grpc_port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.rest_port}"

    @property
    def grpc_target(self) -> str:
        return f"{self.address}:{self.grpc_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


def model(name: str, base_path: Path, kind: str = "latest", count: int = 1,
          versions: tuple = (), labels: dict | None = None, batching: dict | None = None) -> dict:
    entry = {"name": name, "base_path": str(base_path),
             "version_policy": {"kind": kind, "count": count, "versions": list(versions)},
             "version_labels": labels or {}}
    if batching:
        entry["batching"] = batching
    return entry


def start_server(work: Path, address: str, models: list[dict], wait_healthy: bool = True,
                 **settings) -> Server:
    """Start `python -m serving` for these models; wait until /health is 200 (or the port opens)."""
    config = {"models": models, "rest_address": address, "rest_port": 8501,
              "grpc_address": address, "grpc_port": 8500, "poll_seconds": 0.2, **settings}
    work.mkdir(parents=True, exist_ok=True)
    config_path = work / "serving.json"
    config_path.write_text(json.dumps(config))
    log_path = work / "model_server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "serving", "--config", str(config_path)],
                                cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    server = Server(proc, address, 8501, 8500, log_path)

    def up():
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}:\n{server.log()[-3000:]}")
        if wait_healthy:
            return requests.get(server.url + "/health", timeout=2).status_code == 200
        with socket.create_connection((address, 8501), timeout=1):
            return True

    try:
        wait_until(up, timeout=90, what=f"model server on {address}")
    except BaseException:
        server.stop()
        raise
    return server


def copy_model(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    return dest


@pytest.fixture(scope="session")
def builtin_version(tmp_path_factory) -> Path:
    """The generated built-in half_plus_two, once per session (a fixed-weight graph, no training)."""
    root = tmp_path_factory.mktemp("builtin")
    subprocess.run([sys.executable, "-m", "serving.builtin.half_plus_two", str(root / "1")],
                   cwd=REPO, check=True, capture_output=True,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    return root / "1"


@pytest.fixture(scope="session")
def main_server(tmp_path_factory, builtin_version):
    """One server with several models: the official copies and the generated built-in."""
    root = tmp_path_factory.mktemp("main")
    store = root / "models"
    copy_model(TESTDATA / "saved_model_half_plus_two_cpu", store / "half")
    copy_model(TESTDATA / "saved_model_half_plus_two_2_versions", store / "two")
    copy_model(TESTDATA / "saved_model_half_plus_two_mkl", store / "saved_model_half_plus_two_mkl")
    (store / "two" / "not_a_version").mkdir()
    shutil.copytree(builtin_version, store / "builtin" / "1")
    server = start_server(root, "127.0.0.2", [
        model("half", store / "half", labels={"stable": 123}),
        model("two", store / "two", kind="all", labels={"stable": 123, "canary": 124}),
        model("saved_model_half_plus_two_mkl", store / "saved_model_half_plus_two_mkl"),
        model("builtin", store / "builtin"),
    ], max_request_bytes=64 * 1024, cors_allowed_origins=["https://app.example.com"])
    yield server
    assert server.stop() == 0, server.log()[-3000:]
