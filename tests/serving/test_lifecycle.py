"""Versions come and go under load without a failed request; broken ones are reported."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import requests

from tests.serving.conftest import TESTDATA, model, start_server, wait_until

HALF = TESTDATA / "saved_model_half_plus_two_cpu" / "00000123"


class Load:
    """Threads posting predicts until stopped; records every answer (status, version)."""

    def __init__(self, url: str, threads: int = 4, new_connections: bool = False) -> None:
        self.url = url
        self.results: list = []  # (status or "refused"/"broken", text)
        self.broken_at: list[float] = []  # when each "broken" request was sent
        self.stop = threading.Event()
        self.new_connections = new_connections
        self.threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            sent = time.monotonic()
            try:
                if self.new_connections:
                    r = requests.post(self.url, data='{"instances": [1.0]}', timeout=30,
                                      headers={"Connection": "close"})
                else:
                    r = session.post(self.url, data='{"instances": [1.0]}', timeout=30)
                self.results.append((r.status_code, r.text))
            except requests.ConnectionError as exc:  # refused: never accepted, not in flight
                kind = "refused" if "refused" in str(exc).lower() else "broken"
                self.results.append((kind, str(exc)))
                if kind == "broken":
                    self.broken_at.append(sent)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


def _status(server, name):
    return requests.get(f"{server.url}/v1/models/{name}", timeout=5).json()


def _add_version(base, version: int, source=HALF) -> None:
    staging = base / f".staging-{version}"
    shutil.copytree(source, staging)
    staging.rename(base / str(version))  # appears atomically, as a sync tool would place it


def test_hot_swap_broken_version_and_removal_under_load(tmp_path):
    base = tmp_path / "models" / "m"
    _add_version(base, 1)
    other = tmp_path / "models" / "other"
    _add_version(other, 1)
    server = start_server(tmp_path, "127.0.0.3", [model("m", base), model("other", other)])
    try:
        with Load(server.url + "/v1/models/m:predict") as load:
            wait_until(lambda: len(load.results) > 20, what="load started")
            _add_version(base, 2)
            wait_until(lambda: [s["version"] for s in _status(server, "m")["model_version_status"]
                                if s["state"] == "AVAILABLE"] == ["2"], what="version 2 only")
            served = len(load.results)
            wait_until(lambda: len(load.results) > served + 20, what="load on version 2")
            assert {s["version"]: s["state"] for s in _status(server, "m")["model_version_status"]
                    } == {"2": "AVAILABLE", "1": "END"}

            # A broken version 3 is reported and version 2 keeps serving.
            broken = base / ".staging-3"
            shutil.copytree(HALF, broken)
            (broken / "saved_model.pb").write_bytes(b"this is not a protobuf")
            broken.rename(base / "3")
            wait_until(lambda: any(s["version"] == "3" and s["state"] == "END"
                                   for s in _status(server, "m")["model_version_status"]),
                       what="version 3 reported as failed")
            served = len(load.results)
            wait_until(lambda: len(load.results) > served + 20, what="load after failure")
        failures = [r for r in load.results if r[0] != 200]
        assert not failures, failures[:5]
        assert all(json.loads(text) == {"predictions": [2.5]} for _, text in load.results)

        v3 = next(s for s in _status(server, "m")["model_version_status"] if s["version"] == "3")
        assert v3["status"]["error_code"] != "OK" and v3["status"]["error_message"]
        health = requests.get(server.url + "/health", timeout=5).json()
        assert health["models"]["m"]["available"] == [2]
        assert "version 3" in health["models"]["m"]["error"]
        assert "Loading servable version {name: m version: 3} failed" in server.log()
        assert "Unloading servable version {name: m version: 1}" in server.log()
        r = requests.post(server.url + "/v1/models/m/versions/1:predict", json={"instances": [1]},
                          timeout=5)
        assert r.status_code == 404
        assert requests.post(server.url + "/v1/models/other:predict", json={"instances": [1.0]},
                             timeout=5).status_code == 200

        # Every version removed: the model is no longer available and /health says so.
        shutil.rmtree(other / "1")
        wait_until(lambda: requests.get(server.url + "/health", timeout=5).status_code == 503,
                   what="health failing after removal")
        assert requests.get(server.url + "/health", timeout=5).json()["status"] == "unavailable"
    finally:
        assert server.stop() == 0


def test_requests_while_loading_get_503_then_serve(tmp_path):
    # The built-in classifier: its load (OpenVINO import and compile) takes seconds, not the
    # ~0.1 s of half_plus_two, so the loading window is reliably there to be hit.
    import base64

    import skimage

    from serving.builtin.classifier import write_classifier

    base = tmp_path / "models" / "m"
    write_classifier(base / "1")
    server = start_server(tmp_path, "127.0.0.4", [model("m", base)], wait_healthy=False)
    photo = Path(skimage.__file__).parent / "data" / "coffee.png"
    body = {"instances": [{"b64": base64.b64encode(photo.read_bytes()).decode()}]}
    try:
        # The REST port opens before any model is loaded.
        r = requests.post(server.url + "/v1/models/m:predict", json=body, timeout=5)
        assert r.status_code == 503, r.text
        assert "loading" in r.json()["error"] or "available" in r.json()["error"]
        health = requests.get(server.url + "/health", timeout=5)
        assert health.status_code == 503 and health.json()["status"] == "unavailable"
        wait_until(lambda: requests.get(server.url + "/health", timeout=5).status_code == 200,
                   what="model loaded")
        r = requests.post(server.url + "/v1/models/m:predict", json=body, timeout=30)
        assert r.json()["predictions"][0]["classes"][0] == "espresso"
    finally:
        assert server.stop() == 0


def test_sigterm_under_load_drains_without_failed_requests(tmp_path):
    base = tmp_path / "models" / "m"
    _add_version(base, 1)
    server = start_server(tmp_path, "127.0.0.5", [model("m", base)], drain_seconds=1.0)
    with Load(server.url + "/v1/models/m:predict", threads=4, new_connections=True) as load:
        wait_until(lambda: len(load.results) > 20, what="load started")
        listeners_close = time.monotonic() + 1.0  # drain_seconds after the signal
        os.kill(server.proc.pid, signal.SIGTERM)
        wait_until(lambda: requests.get(server.url + "/health", timeout=5).json()["status"]
                   == "draining", timeout=5, what="health draining")
        before = len(load.results)
        wait_until(lambda: len(load.results) > before + 5, what="serving while draining")
        server.proc.wait(timeout=60)
    assert server.proc.returncode == 0, server.log()[-2000:]
    # Every answer is a 200. A connection may be reset without an answer only once the
    # listeners close (the kernel resets connections still in the accept queue): never while
    # the server drains, when it must take and answer everything.
    answered = [r for r in load.results if r[0] not in ("refused", "broken")]
    assert answered and all(status == 200 for status, _ in answered), \
        [r for r in answered if r[0] != 200][:5]
    assert all(sent >= listeners_close - 0.2 for sent in load.broken_at), load.broken_at
    assert "Model server stopped" in server.log()
