"""Fixtures in flaskr's pattern: app, client, runner, auth (plus `upstream`, the fake services).

`app` is built over a state directory filled with logs, models and traps (symlinks pointing out);
the node's model server and Envoy admin view are answered by `FakeUpstream` (the browser tests
use real processes). Parametrizing `conf_text` adds lines to the configuration file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from appliance.layout import Layout
from appliance.settings import parse_text
from logviewer import create_app
from logviewer.upstream import HTTPStatus, Unreachable

PASSWORD = "correct horse"
PASSWORD_HASH = generate_password_hash(PASSWORD)
SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY"
SERVER = "http://127.0.0.1:8501"
ADMIN = "http://127.0.0.1:8001"


def access_line(**fields) -> str:
    base = {"time": "2026-11-23T11:30:00.123Z", "listener": "rest", "method": "POST",
            "path": "/v1/models/m/versions/1:predict", "protocol": "HTTP/1.1", "status": 200,
            "grpc_status": None, "flags": "-", "duration_ms": 3, "upstream": "127.0.0.2:8501",
            "attempts": 1, "bytes_in": 10, "bytes_out": 20, "client": "10.0.0.9:5555",
            "request_id": "r1"}
    base.update(fields)
    return json.dumps(base)


def fill_home(home: Path) -> Layout:
    """A node's state directory with logs, models, and paths that must stay unreachable."""
    layout = Layout.for_home(home)
    layout.log_dir.mkdir(parents=True)
    outside = home.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "passwd").write_text("root:x:0:0\n")
    (outside / "1").mkdir(exist_ok=True)
    (outside / "1" / "stolen.onnx").write_text("onnx")
    logs = layout.log_dir
    (logs / "model_server.log").write_text(
        "".join(f"2026-11-23 INFO line {i}\n" for i in range(1, 1001))
        + "2026-11-23 ERROR <script>alert('x')</script> failed\n")
    (logs / "envoy.log").write_text("\n".join([
        access_line(),
        access_line(path="/v1/models/m/labels/stable:classify", status=503, flags="UH",
                    upstream=None, request_id="r2"),
        access_line(path="/tensorflow.serving.PredictionService/Predict", status=200,
                    grpc_status="OK", upstream="127.0.0.3:8500", listener="grpc"),
        access_line(path="/v1/models/other", method="GET", status=404,
                    upstream="127.0.0.3:8501"),
        "not json at all",
    ]) + "\n")
    (logs / "supervisord.log").write_text("supervisord started\n")
    (logs / "envoy.log.1").write_text(access_line() + "\n")
    (logs / "escape.log").symlink_to(outside / "passwd")
    models = layout.models_dir
    tf = models / "saved_model_half_plus_two_mkl"
    (tf / "1" / "variables").mkdir(parents=True)
    (tf / "1" / "saved_model.pb").write_bytes(b"\0" * 2048)
    (tf / "1" / "variables" / "variables.index").write_bytes(b"\0" * 100)
    (tf / "2").mkdir()
    (tf / "2" / "saved_model.pb").write_bytes(b"\0" * 10)
    (models / "resnet" / "1").mkdir(parents=True)
    (models / "resnet" / "1" / "model.xml").write_text("<net/>")
    (models / "resnet" / "1" / "model.bin").write_bytes(b"\0" * 4096)
    (models / "mnist" / "3").mkdir(parents=True)
    (models / "mnist" / "3" / "model.onnx").write_bytes(b"\0" * 300)
    (models / "iris" / "1").mkdir(parents=True)
    (models / "iris" / "1" / "model.pmml").write_text("<PMML/>")
    (models / "iris" / "2").symlink_to(outside / "1")  # a version pointing out of the store
    (models / "sneaky").symlink_to(outside)  # a model pointing out of the store
    (models / "resnet" / "1" / "leak.onnx").symlink_to(outside / "1" / "stolen.onnx")
    return layout


def signature_body():
    tensor = {"dtype": "DT_FLOAT", "tensor_shape": {"dim": [{"size": "-1", "name": ""}],
                                                    "unknown_rank": False}, "name": "x:0"}
    out = dict(tensor, name="y:0")
    return {"model_spec": {"name": "saved_model_half_plus_two_mkl", "version": "1"},
            "metadata": {"signature_def": {"signature_def": {
                "serving_default": {"inputs": {"x": tensor}, "outputs": {"y": out},
                                    "method_name": "tensorflow/serving/predict"}}}}}


def host(address, port, healthy=True, ejected=False, rq=10, err=0):
    health = {"eds_health_status": "HEALTHY"}
    if not healthy:
        health["failed_active_health_check"] = True
    if ejected:
        health["failed_outlier_check"] = True
    return {"address": {"socket_address": {"address": address, "port_value": port}},
            "stats": [{"name": "rq_total", "value": str(rq)},
                      {"name": "rq_error", "value": str(err)},
                      {"name": "rq_success", "value": str(rq - err)},
                      {"name": "rq_active", "value": "0"}],
            "health_status": health}


class FakeUpstream:
    """Stands in for fetch_json: `answers[url]` is a body, or an exception to raise."""

    def __init__(self):
        status = {"model_version_status": [
            {"version": "2", "state": "AVAILABLE", "status": {"error_code": "OK"}},
            {"version": "1", "state": "END",
             "status": {"error_code": "UNKNOWN", "error_message": "Could not load <v1>"}}]}
        self.answers = {
            f"{SERVER}/v1/models": {"models": [{"name": "saved_model_half_plus_two_mkl"}]},
            f"{SERVER}/v1/models/saved_model_half_plus_two_mkl": status,
            f"{SERVER}/v1/models/saved_model_half_plus_two_mkl/versions/2/metadata":
                signature_body(),
            f"{ADMIN}/clusters?format=json": {"cluster_statuses": [
                {"name": "serving_rest", "host_statuses": [
                    host("127.0.0.2", 8501, rq=90, err=9),
                    host("127.0.0.3", 8501, healthy=False, rq=5, err=5),
                    host("127.0.0.4", 8501, ejected=True)]},
                {"name": "admin_view", "host_statuses": [host("127.0.0.1", 1)]}]},
            f"{ADMIN}/stats?format=json": {"stats": [
                {"name": "cluster.serving_rest.upstream_rq_total", "value": 105},
                {"name": "cluster.serving_rest.upstream_rq_5xx", "value": 14},
                {"name": "cluster.serving_rest.membership_healthy", "value": 1}]},
        }
        self.urls: list[str] = []
        self.stopped: list[str] = []

    def __call__(self, url, timeout=2.0):
        self.urls.append(url)
        if any(url.startswith(prefix) for prefix in self.stopped):
            raise Unreachable(f"{url}: [Errno 111] Connection refused")
        answer = self.answers.get(url, HTTPStatus(url, 404, {"error": "not found"}))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def down(self, prefix):
        """Make every URL under prefix unreachable, as when the process is not running."""
        self.stopped.append(prefix)


@pytest.fixture
def conf_text(request) -> str:
    """Extra configuration lines: parametrize("conf_text", [...], indirect=True) sets them."""
    return getattr(request, "param", "")


@pytest.fixture
def app(tmp_path, conf_text):
    text = f"s3.access.key = AKIAEXAMPLE\ns3.secret.key = {SECRET}\n" + conf_text
    layout = fill_home(tmp_path / "home")
    layout.config_file.write_text(text)
    return create_app(parse_text(text), layout,
                      {"TESTING": True, "SECRET_KEY": "test", "FETCH_JSON": FakeUpstream(),
                       "BUCKET_LISTER": None})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, password=PASSWORD, next_url=None):
        url = "/login" + (f"?next={next_url}" if next_url else "")
        return self._client.post(url, data={"password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def upstream(app) -> FakeUpstream:
    return app.config["FETCH_JSON"]
