"""REST API against a real server: TensorFlow Serving's wire format, routes and errors."""

from __future__ import annotations

import base64
import http.client
import json
import math

import numpy as np
import pytest
import requests

from tests.serving.conftest import TESTDATA


def post(server, path, body, **kw):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(server.url + path, data=data, timeout=10, **kw)


def test_the_original_example(main_server):
    r = post(main_server, "/v1/models/saved_model_half_plus_two_mkl:predict",
             {"instances": [1.0, 2.0, 5.0]})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"predictions": [2.5, 3.0, 4.5]}


@pytest.mark.parametrize("model", ["half", "builtin", "saved_model_half_plus_two_mkl"])
def test_row_and_columnar_predict(main_server, model):
    rows = post(main_server, f"/v1/models/{model}:predict", {"instances": [[1.0], [3.0]]})
    assert rows.json() == {"predictions": [[2.5], [3.5]]}
    cols = post(main_server, f"/v1/models/{model}:predict", {"inputs": {"x": [[1.0], [3.0]]}})
    assert cols.json() == {"outputs": [[2.5], [3.5]]}
    named_rows = post(main_server, f"/v1/models/{model}:predict", {"instances": [{"x": [4.0]}]})
    assert named_rows.json() == {"predictions": [[4.0]]}


def test_builtin_matches_official_predictions(main_server):
    values = [[v] for v in np.linspace(-1e6, 1e6, 37).tolist()] + [[0.1], [1e-30]]
    a = post(main_server, "/v1/models/builtin:predict", {"instances": values}).json()
    b = post(main_server, "/v1/models/half:predict", {"instances": values}).json()
    assert a == b and len(a["predictions"]) == len(values)


def test_float_precision_and_nonfinite_round_trip(main_server):
    body = '{"instances": [[0.1], [NaN], [Infinity], [-Infinity], [16777215], [3.4e38]]}'
    r = post(main_server, "/v1/models/half:predict", body)
    assert r.status_code == 200, r.text
    assert "NaN" in r.text and "-Infinity" in r.text
    got = json.loads(r.text)["predictions"]
    expected = np.float32(0.5) * np.array([0.1, np.nan, np.inf, -np.inf, 16777215, 3.4e38],
                                          np.float32) + np.float32(2)
    for (value,), want in zip(got, expected):
        assert (math.isnan(value) and math.isnan(want)) or np.float32(value) == want
    assert np.float32(got[0][0]) == np.float32(2.05)  # 2.05 exactly as float32, no noise digits
    assert "2.05" in r.text and "2.0500000" not in r.text


def test_signature_name_and_version_and_label_routes(main_server):
    r = post(main_server, "/v1/models/two/versions/123:predict",
             {"signature_name": "serving_default", "instances": [1.0]})
    assert r.json() == {"predictions": [2.5]}
    # Both versions compute the same; which one answered is checked over gRPC (model_spec).
    v124 = post(main_server, "/v1/models/two/versions/124:predict", {"instances": [1.0]}).json()
    canary = post(main_server, "/v1/models/two/labels/canary:predict", {"instances": [1.0]}).json()
    latest = post(main_server, "/v1/models/two:predict", {"instances": [1.0]}).json()
    stable = post(main_server, "/v1/models/two/labels/stable:predict", {"instances": [1.0]}).json()
    assert canary == latest == v124
    assert stable == {"predictions": [2.5]}


def test_classify_and_regress(main_server):
    r = post(main_server, "/v1/models/half:classify",
             {"signature_name": "classify_x_to_y", "examples": [{"x": 1.0}, {"x": 3.0}]})
    assert r.json() == {"results": [[["", 2.5]], [["", 3.5]]]}
    r = post(main_server, "/v1/models/half:regress",
             {"signature_name": "regress_x_to_y2", "examples": [{"x": 1.0}, {"x": 3.0}]})
    assert r.json() == {"results": [3.5, 4.5]}
    # context features are merged into every example
    r = post(main_server, "/v1/models/builtin:regress",
             {"signature_name": "regress_x_to_y", "context": {"x": 4.0}, "examples": [{}, {}]})
    assert r.json() == {"results": [4.0, 4.0]}


def test_b64_values_in_examples(main_server):
    example = {"x": 2.0, "note": {"b64": base64.b64encode(b"\x00\xff").decode()}}
    r = post(main_server, "/v1/models/half:regress",
             {"signature_name": "regress_x_to_y", "examples": [example]})
    assert r.json() == {"results": [3.0]}


def test_b64_tensor_input_reaches_the_model(main_server):
    from tensorflow.core.example import example_pb2

    example = example_pb2.Example()
    example.features.feature["x"].float_list.value.append(5.0)
    b64 = base64.b64encode(example.SerializeToString()).decode()
    r = post(main_server, "/v1/models/half:predict",
             {"signature_name": "classify_x_to_y", "instances": [{"b64": b64}]})
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [[4.5]]}


def test_model_status_shapes(main_server):
    r = requests.get(main_server.url + "/v1/models/two", timeout=5)
    assert r.status_code == 200
    assert r.json() == {"model_version_status": [
        {"version": v, "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
        for v in ("124", "123")]}
    one = requests.get(main_server.url + "/v1/models/two/versions/123", timeout=5).json()
    assert [s["version"] for s in one["model_version_status"]] == ["123"]
    label = requests.get(main_server.url + "/v1/models/two/labels/canary", timeout=5).json()
    assert [s["version"] for s in label["model_version_status"]] == ["124"]


@pytest.mark.parametrize("model,golden", [
    ("half", "half_plus_two_model_metadata.json"),  # the golden file is the cpu export
    ("builtin", "half_plus_two_model_metadata.json"),
    ("two/versions/123", "saved_model_half_plus_two_2_versions_metadata.json"),
])
def test_metadata_matches_tensorflow_serving(main_server, model, golden):
    r = requests.get(main_server.url + f"/v1/models/{model}/metadata", timeout=5)
    assert r.status_code == 200
    got = r.json()
    want = json.loads((TESTDATA / golden).read_text())
    assert got["metadata"] == want["metadata"]
    assert got["model_spec"]["signature_name"] == ""
    assert got["model_spec"]["version"] == want["model_spec"]["version"] or model == "builtin"
    assert isinstance(got["model_spec"]["version"], str)


def test_metadata_of_specific_version(main_server):
    r = requests.get(main_server.url + "/v1/models/two/versions/123/metadata", timeout=5)
    assert r.json()["model_spec"] == {"name": "two", "signature_name": "", "version": "123"}


def test_health_models_list_and_metrics(main_server):
    health = requests.get(main_server.url + "/health", timeout=5)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["models"]["two"]["available"] == [123, 124]
    listing = requests.get(main_server.url + "/v1/models", timeout=5).json()
    two = next(m for m in listing["models"] if m["name"] == "two")
    assert {(v["version"], v["state"]) for v in two["versions"]} == {("123", "AVAILABLE"),
                                                                      ("124", "AVAILABLE")}
    post(main_server, "/v1/models/half:predict", {"instances": [1.0]})
    post(main_server, "/v1/models/half:predict", {"instances": "bad"})
    text = requests.get(main_server.url + "/monitoring/prometheus/metrics", timeout=5).text
    labels = 'model="half",version="123",api="predict",protocol="rest"'
    assert f"serving_requests_total{{{labels}}}" in text
    assert f'serving_request_latency_microseconds_bucket{{{labels},le="+Inf"}}' in text
    assert 'serving_request_errors_total{model="half"' in text
    assert 'serving_model_version_state{model="two",version="124"} 30' in text


def test_cors(main_server):
    allowed = {"Origin": "https://app.example.com"}
    pre = requests.options(main_server.url + "/v1/models/half:predict", headers=allowed, timeout=5)
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    r = post(main_server, "/v1/models/half:predict", {"instances": [1.0]}, headers=allowed)
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    other = post(main_server, "/v1/models/half:predict", {"instances": [1.0]},
                 headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_oversized_body_gets_json_413_and_server_goes_on(main_server):
    big = json.dumps({"instances": [[1.0]] * 20000})
    assert len(big) > 64 * 1024
    r = post(main_server, "/v1/models/half:predict", big)
    assert r.status_code == 413
    assert "larger than the maximum" in r.json()["error"]
    assert post(main_server, "/v1/models/half:predict", {"instances": [1.0]}).status_code == 200


def test_get_with_a_body(main_server):
    conn = http.client.HTTPConnection(main_server.address, main_server.rest_port, timeout=5)
    conn.request("GET", "/v1/models/half", body=b'{"junk": 1}')
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["model_version_status"][0]["version"] == "123"
    conn.request("GET", "/v1/models/half:predict", body=b'{"instances": [1.0]}')
    r = conn.getresponse()
    assert r.status == 400
    assert json.loads(r.read()) == {"error": "Malformed request: GET /v1/models/half:predict"}
    conn.close()


def test_keep_alive_connection_survives_errors(main_server):
    conn = http.client.HTTPConnection(main_server.address, main_server.rest_port, timeout=5)
    for body, status in [(b"{", 400), (b'{"instances": [1.0]}', 200), (b"[]", 400),
                         (b'{"instances": [1.0]}', 200)]:
        conn.request("POST", "/v1/models/half:predict", body=body)
        r = conn.getresponse()
        assert r.status == status
        r.read()
    conn.close()
