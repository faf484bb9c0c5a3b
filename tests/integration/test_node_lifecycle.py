"""A node's life: apply a changed file, refuse a bad one, swap versions and stop under load."""

from __future__ import annotations

import json
import shutil

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from tests.load import Load, envoy_log_entries
from tests.nodes import TESTDATA, http, start_node, wait_for, write_config

MKL = "saved_model_half_plus_two_mkl"


def models(builtin_store):
    return {MKL: builtin_store / MKL}


def test_apply_reloads_only_what_changed_and_refuses_a_bad_file(tmp_path, builtin_store):
    node = start_node(tmp_path, "127.0.0.21", models=models(builtin_store))
    try:
        pids = node.supervisor_pids()
        conf = tmp_path / "appliance.conf"

        # A bad file: refused with key, value and what is allowed; nothing running is touched.
        conf.write_text("node.address = 127.0.0.21\nhttp.port = abc\ns3.type = foo\n")
        result = node.appliance("apply")
        assert result.returncode == 2
        assert "http.port = 'abc' is not allowed" in result.stderr
        assert "s3.type = 'foo' is not allowed; s3.type must be one of none, minio, s3" in result.stderr
        assert node.supervisor_pids() == pids
        assert http("POST", f"{node.rest}/v1/models/{MKL}:predict", '{"instances": [1.0]}')[0] == 200

        # A new REST port: Envoy restarts on it; the model server is untouched.
        write_config(tmp_path, "127.0.0.21", "http.port = 9080\n")
        result = node.appliance("apply")
        assert result.returncode == 0, result.stderr
        assert "restarted envoy" in result.stdout
        node.http_port = 9080
        wait_for(lambda: http("POST", f"{node.rest}/v1/models/{MKL}:predict",
                              '{"instances": [1.0]}')[0] == 200, 30, "Envoy on the new port")
        after = node.supervisor_pids()
        assert after["model_server"] == pids["model_server"]
        assert after["envoy"] != pids["envoy"]

        # Nothing changed: nothing is restarted.
        result = node.appliance("apply")
        assert "nothing changed" in result.stdout
        assert node.supervisor_pids() == after
    finally:
        assert node.stop() == 0


def test_model_not_yet_available_gets_json_503_then_serves(tmp_path, builtin_store):
    """A request while the node's model is not loaded: Envoy answers 503 in TF Serving's shape."""
    node = start_node(tmp_path, "127.0.0.22", "model.name = later\nmodel.poll.seconds = 0.5\n",
                      wait=False)
    try:
        def answered():
            status, raw, headers = http("POST", f"{node.rest}/v1/models/later:predict",
                                        '{"instances": [1.0]}', timeout=2)
            return (status, raw, headers) if status else None

        status, raw, headers = wait_for(answered, 60, "Envoy to answer")
        assert status == 503
        assert headers["content-type"] == "application/json"
        assert "No model server is available" in json.loads(raw)["error"]

        model_dir = tmp_path / "models" / "later"
        model_dir.mkdir(parents=True, exist_ok=True)
        staging = model_dir / ".incoming"  # not a version number: ignored until renamed
        shutil.copytree(TESTDATA / "saved_model_half_plus_two_cpu" / "00000123", staging)
        staging.rename(model_dir / "1")
        predict = lambda: http("POST", f"{node.rest}/v1/models/later:predict",  # noqa: E731
                               '{"instances": [[3.0]]}')
        wait_for(lambda: predict()[0] == 200, 60, "the model to be served")
        assert json.loads(predict()[1]) == {"predictions": [[3.5]]}
    finally:
        assert node.stop() == 0


def _grpc_version(stub, model):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([[1.0]], np.float32)))
    return stub.Predict(request, timeout=10).model_spec.version.value


def test_hot_version_swap_under_load_fails_no_request(tmp_path, builtin_store):
    store = {MKL: builtin_store / MKL}
    node = start_node(tmp_path, "127.0.0.23", "model.poll.seconds = 0.5\n", models=store)
    channel = grpc.insecure_channel(node.grpc_target)
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    try:
        assert _grpc_version(stub, MKL) == 123
        with Load([node.address], threads=4) as load:
            load.wait_for_successes(50)
            staging = tmp_path / "models" / MKL / ".incoming"
            shutil.copytree(builtin_store / MKL / "00000123", staging)
            staging.rename(tmp_path / "models" / MKL / "00000124")
            wait_for(lambda: _grpc_version(stub, MKL) == 124, 60, "version 124 to take traffic")
            wait_for(lambda: node.model_state(MKL) == "AVAILABLE" and
                     "123" not in _versions(node), 60, "version 123 to unload")
            load.wait_for_successes(50)
        assert load.failures == [] and load.refused == 0
    finally:
        channel.close()
        assert node.stop() == 0


def _versions(node):
    status, raw, _ = http("GET", f"http://{node.address}:8501/v1/models/{MKL}")
    return [v["version"] for v in json.loads(raw)["model_version_status"] if v["state"] != "END"]


@pytest.mark.parametrize("address", ["127.0.0.24"])
def test_sigterm_under_load_fails_no_in_flight_request(tmp_path, builtin_store, address):
    node = start_node(tmp_path, address, models=models(builtin_store))
    with Load([address], threads=6) as load:
        load.wait_for_successes(100)
        served_before = load.ok
        assert node.stop() == 0
        load.stop()
    # Every request Envoy accepted was answered correctly. The only failures allowed are
    # requests Envoy never saw (refused, or reset in the kernel's accept queue as the listener
    # closed): not one of them is in its access log.
    seen = envoy_log_entries(node.logs)
    assert seen and all(e["status"] == 200 for e in seen.values()), \
        [e for e in seen.values() if e["status"] != 200]
    assert [f for f in load.failures if f[0] in seen] == []
    assert load.ok > served_before
    for port in (8080, 8081, 8501, 8500, 8001):
        assert http_refused(address, port)


def http_refused(address, port):
    import socket

    with socket.socket() as sock:
        return sock.connect_ex((address, port)) != 0


def test_apply_adds_and_removes_models_without_restarting_the_server(tmp_path, builtin_store):
    node = start_node(tmp_path, "127.0.0.25", models=models(builtin_store))
    try:
        pids = node.supervisor_pids()
        shutil.copytree(TESTDATA / "saved_model_half_plus_two_2_versions", tmp_path / "models" / "two")
        write_config(tmp_path, "127.0.0.25", f"model.name = {MKL}, two\n")
        result = node.appliance("apply")
        assert result.returncode == 0, result.stderr
        assert "reloads its model list in place" in result.stdout
        wait_for(lambda: http("POST", f"{node.rest}/v1/models/two:predict",
                              '{"instances": [[1.0]]}')[0] == 200, 60, "the added model")
        assert node.supervisor_pids() == pids

        write_config(tmp_path, "127.0.0.25", "model.name = two\n")
        assert node.appliance("apply").returncode == 0
        wait_for(lambda: http("POST", f"{node.rest}/v1/models/{MKL}:predict",
                              '{"instances": [1.0]}')[0] == 404, 60, "the removed model to go")
        assert http("POST", f"{node.rest}/v1/models/two:predict", '{"instances": [[1.0]]}')[0] == 200
        assert node.supervisor_pids() == pids
    finally:
        assert node.stop() == 0


def test_repo_role_refuses_to_start_without_minio_or_with_example_keys(tmp_path):
    base = ("node.role = modelrepo\ns3.type = minio\nserving.nodes = 127.0.0.31\n"
            "s3.endpoint = 127.0.0.26:9000\nminio.binary = /nonexistent/minio\n")
    write_config(tmp_path, "127.0.0.26", base + "s3.access.key = operator1\n"
                 "s3.secret.key = a-long-enough-secret\n")
    from tests.nodes import APPLIANCE, REPO
    import subprocess

    up = subprocess.run([*APPLIANCE, "--home", str(tmp_path), "up"], capture_output=True,
                        text=True, timeout=120, cwd=REPO)
    assert up.returncode == 1
    assert "MinIO" in up.stderr and "/nonexistent/minio" in up.stderr
    assert not (tmp_path / "run" / "supervisor.sock").exists()

    fake = tmp_path / "minio"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    write_config(tmp_path, "127.0.0.26", base.replace("/nonexistent/minio", str(fake)) +
                 "s3.access.key = AKIAIOSXODNN7EXAMPLE\n"
                 "s3.secret.key = wJalrXUtqFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    up = subprocess.run([*APPLIANCE, "--home", str(tmp_path), "up"], capture_output=True,
                        text=True, timeout=120, cwd=REPO)
    assert up.returncode == 1
    assert "example" in up.stderr.lower() and "s3.secret.key" in up.stderr
    assert "wJalrXUtqFEMI" not in up.stderr
