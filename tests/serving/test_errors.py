"""Every client error through both transports: same canonical code, TF Serving's HTTP status.

One table; each row is sent over REST and over gRPC, and after each the server still serves.
"""

from __future__ import annotations

import grpc
import numpy as np
import pytest
import requests
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving.errors import HTTP_STATUS
from serving.tensors import to_proto

C = grpc.StatusCode


def _predict(name="half", version=None, label=None, signature="", inputs=None):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    request.model_spec.signature_name = signature
    if version:
        request.model_spec.version.value = version
    if label:
        request.model_spec.version_label = label
    for key, value in (inputs if inputs is not None else {"x": np.array([[1.0]], np.float32)}
                       ).items():
        request.inputs[key].CopyFrom(to_proto(value))
    return request


# (id, REST path, REST body, gRPC method, gRPC request, code, message fragment)
CASES = [
    ("unknown model", "/v1/models/nope:predict", '{"instances": [1.0]}', "Predict",
     _predict("nope"), C.NOT_FOUND, "Servable not found for request: Latest(nope)"),
    ("unknown version", "/v1/models/half/versions/7:predict", '{"instances": [1.0]}', "Predict",
     _predict(version=7), C.NOT_FOUND, "Servable not found for request: Specific(half, 7)"),
    ("unknown label", "/v1/models/half/labels/beta:predict", '{"instances": [1.0]}', "Predict",
     _predict(label="beta"), C.INVALID_ARGUMENT, "Unrecognized servable version label: beta"),
    ("unknown signature", "/v1/models/half:predict",
     '{"signature_name": "nope", "instances": [1.0]}', "Predict", _predict(signature="nope"),
     None, '"nope" not found'),
    ("wrong input name", "/v1/models/half:predict", '{"inputs": {"z": [1.0]}}', "Predict",
     _predict(inputs={"z": np.array([1.0], np.float32)}), C.INVALID_ARGUMENT, None),
    ("wrong dtype", "/v1/models/half:predict", '{"instances": ["a"]}', "Predict",
     _predict(inputs={"x": np.array([b"a"], object)}), C.INVALID_ARGUMENT, "float"),
    # TF Serving checks no shapes itself (x:0 broadcasts); a rank the graph rejects is an error.
    ("wrong shape", "/v1/models/half:predict",
     '{"signature_name": "classify_x_to_y", "instances": [["a"]]}', "Predict",
     _predict(signature="classify_x_to_y", inputs={"inputs": np.array([[b"a"]], object)}),
     C.INVALID_ARGUMENT, "Expected serialized to be a vector, got shape: [1,1]"),
    ("classify on a predict signature", "/v1/models/half:classify", '{"examples": [{"x": 1.0}]}',
     "Classify", classification_pb2.ClassificationRequest(
         model_spec={"name": "half"}, input={"example_list": {"examples": [{}]}}),
     C.INVALID_ARGUMENT, ("Expected classification signature method_name to be "
                         "tensorflow/serving/classify. Was: tensorflow/serving/predict")),
    ("metadata of unknown model", "/v1/models/nope/metadata", None, "GetModelMetadata",
     get_model_metadata_pb2.GetModelMetadataRequest(model_spec={"name": "nope"},
                                                    metadata_field=["signature_def"]),
     C.NOT_FOUND, "Servable not found for request: Latest(nope)"),
]


@pytest.fixture(scope="module")
def stub(main_server):
    with grpc.insecure_channel(main_server.grpc_target) as channel:
        yield prediction_service_pb2_grpc.PredictionServiceStub(channel)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_error_through_both_transports(main_server, stub, case):
    _, path, body, method, request, code, fragment = case
    with pytest.raises(grpc.RpcError) as info:
        getattr(stub, method)(request, timeout=10)
    grpc_code, grpc_message = info.value.code(), info.value.details()
    if code is not None:
        assert grpc_code == code, grpc_message
    else:
        assert grpc_code in (C.INVALID_ARGUMENT, C.FAILED_PRECONDITION)
    r = (requests.post(main_server.url + path, data=body, timeout=10) if body is not None
         else requests.get(main_server.url + path, timeout=10))
    assert r.status_code == HTTP_STATUS[code or C.INVALID_ARGUMENT] == HTTP_STATUS[grpc_code]
    assert set(r.json()) == {"error"}
    if fragment:
        assert fragment in r.json()["error"] and fragment in grpc_message
    ok = requests.post(main_server.url + "/v1/models/half:predict", json={"instances": [1.0]},
                       timeout=10)
    assert ok.json() == {"predictions": [2.5]}
    assert stub.Predict(_predict(), timeout=10).outputs["y"].float_val == [2.5]


@pytest.mark.parametrize("body,message", [
    ("", "JSON Parse error: The document is empty"),
    ("{", "JSON Parse error: Missing a name for object member. at offset: 1"),
    ("[1]", "JSON Value: [1] Is not object"),
    ('{"instances": [1.0], "inputs": [1.0]}',
     "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist"),
    ('{"instances": []}', "No values in 'instances' array"),
    ('{"instances": 1.0}', "Excepting 'instances' to be an list/array"),
    ('{"nothing": 1}', "Missing 'inputs' or 'instances' key"),
    ('{"signature_name": 5, "instances": [1]}', "'signature_name' key must be a string value."),
    ('{"instances": [[1.0], [2.0, 3.0]]}',
     ("Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting "
     "tensor size: 1 but got: 2")),
    ('{"instances": [[1.0], [[2.0]]]}',
     "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape"),
    ('{"instances": [1e39]}', "Cannot convert JSON value: 1e+39 to float without loss of precision"),
    ('{"instances": [{"x": [1.0], "y": [2.0]}]}', "does not have named input: y"),
    ('{"inputs": {"x": [[1.0], [2.0, 3.0]]}}',
     "Encountered list at unexpected size: 2 at level: 1 expected size: 1"),
])
def test_rest_json_errors_use_tf_serving_messages(main_server, body, message):
    r = requests.post(main_server.url + "/v1/models/half:predict", data=body, timeout=10)
    assert r.status_code == 400
    assert message in r.json()["error"]


def test_classify_regress_json_errors(main_server):
    r = requests.post(main_server.url + "/v1/models/half:regress",
                      json={"signature_name": "regress_x_to_y"}, timeout=10)
    assert r.status_code == 400
    assert "key 'examples' is expected and was not found" in r.json()["error"]
    r = requests.post(main_server.url + "/v1/models/half:regress",
                      json={"signature_name": "regress_x_to_y", "examples": [{"x": [1, 1.5]}]},
                      timeout=10)
    assert r.json() == {"error": "Unexpected element type in feature: x expecting type: int64"}


def test_unknown_paths(main_server):
    r = requests.post(main_server.url + "/v1/models/half:explain", data="{}", timeout=10)
    assert r.status_code == 400
    assert r.json() == {"error": "Malformed request: POST /v1/models/half:explain"}
    r = requests.get(main_server.url + "/nothing", timeout=10)
    assert r.status_code == 404 and "error" in r.json()
