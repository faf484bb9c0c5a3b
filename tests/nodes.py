"""Start and stop real appliance nodes on loopback for integration tests.

A node is `appliance --home DIR up` in its own process group, on its own 127.0.0.x address
with the standard ports. Built-in models are generated once per test session and copied into
each node's store, so a node starts in seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APPLIANCE = [sys.executable, "-m", "appliance.cli"]
TESTDATA = REPO.parent / "shared" / "testdata" / "tfserving"


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll `condition` until it returns a truthy value; fail naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except AssertionError:
            raise
        except Exception as exc:  # the condition may fail until the thing is up
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


def http(method: str, url: str, body: bytes | str | None = None, timeout: float = 10,
         headers: dict | None = None) -> tuple[int, bytes, Message]:
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers


@dataclass
class Node:
    home: Path
    address: str
    process: subprocess.Popen
    http_port: int = 8080
    grpc_port: int = 8081

    @property
    def rest(self) -> str:
        return f"http://{self.address}:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"{self.address}:{self.grpc_port}"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def appliance(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([*APPLIANCE, "--home", str(self.home), *args],
                              capture_output=True, text=True, timeout=timeout, cwd=REPO)

    def model_state(self, model: str) -> str | None:
        status, body, _ = http("GET", f"http://{self.address}:8501/v1/models/{model}", timeout=2)
        if status != 200:
            return None
        versions = json.loads(body)["model_version_status"]
        return "AVAILABLE" if any(v["state"] == "AVAILABLE" for v in versions) else versions[0]["state"]

    def supervisor_pids(self) -> dict[str, int]:
        result = self.appliance("status", "--json")
        assert result.returncode == 0, f"appliance status failed: {result.stderr}"
        processes = json.loads(result.stdout)["processes"]
        return {p["name"]: p["pid"] for p in processes}

    def stop(self, timeout: float = 90) -> int:
        """SIGTERM the node (supervisord stops every program) and wait for it to exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return self.process.returncode


def write_config(home: Path, address: str, extra: str = "") -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "appliance.conf").write_text(f"node.address = {address}\n{extra}")


def start_node(home: Path, address: str, extra: str = "", models: dict[str, Path] | None = None,
               wait: bool = True) -> Node:
    """Start a node; `models` maps model name -> a folder to copy into its store."""
    write_config(home, address, extra)
    for name, source in (models or {}).items():
        shutil.copytree(source, home / "models" / name, dirs_exist_ok=True)
    log = open(home / "appliance-up.log", "wb")
    process = subprocess.Popen([*APPLIANCE, "--home", str(home), "up"], stdout=log,
                               stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True)
    node = Node(home=home, address=address, process=process)
    if wait:
        wait_until_serving(node)
    return node


def wait_until_serving(node: Node, timeout: float = 120) -> None:
    """Until Envoy answers a predict for the first configured model with 200."""
    from appliance.settings import load

    model = load(node.home / "appliance.conf").models[0]

    def ready():
        if node.process.poll() is not None:
            raise AssertionError(f"node exited: {(node.home / 'appliance-up.log').read_text()}")
        status, _, _ = http("GET", f"{node.rest}/v1/models/{model}", timeout=2)
        health, _, _ = http("GET", f"{node.rest}/health", timeout=2)
        return status == 200 and health == 200

    wait_for(ready, timeout, f"node {node.address} to serve {model}")
