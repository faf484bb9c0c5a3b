"""gRPC PredictionService, ModelService and grpc.health.v1 with tensorflow_serving.apis stubs."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

from serving.tensors import to_ndarray, to_proto


@pytest.fixture(scope="module")
def channel(main_server):
    with grpc.insecure_channel(main_server.grpc_target) as ch:
        yield ch


@pytest.fixture(scope="module")
def predict_stub(channel):
    return prediction_service_pb2_grpc.PredictionServiceStub(channel)


def _predict(name, x, version=None, label=None, signature=""):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    request.model_spec.signature_name = signature
    if version:
        request.model_spec.version.value = version
    if label:
        request.model_spec.version_label = label
    request.inputs["x"].CopyFrom(to_proto(np.asarray(x, np.float32)))
    return request


def test_predict(predict_stub):
    response = predict_stub.Predict(_predict("half", [[1.0], [2.0], [5.0]]), timeout=10)
    assert list(response.outputs["y"].float_val) == [2.5, 3.0, 4.5]
    assert [d.size for d in response.outputs["y"].tensor_shape.dim] == [3, 1]
    assert response.model_spec.name == "half"
    assert response.model_spec.version.value == 123
    assert response.model_spec.signature_name == "serving_default"


def test_predict_accepts_tensor_content_and_labels(predict_stub):
    import tensorflow as tf

    request = _predict("two", [[0.0]], label="canary")
    request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([[1.0], [2.0]], np.float32)))
    assert request.inputs["x"].tensor_content
    response = predict_stub.Predict(request, timeout=10)
    assert response.model_spec.version.value == 124
    assert to_ndarray(response.outputs["y"]).ravel().tolist() == [2.5, 3.0]


def _examples(*xs):
    out = []
    for x in xs:
        example = example_pb2.Example()
        example.features.feature["x"].float_list.value.append(x)
        out.append(example)
    return out


def test_classify_and_regress(predict_stub):
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "half"
    request.model_spec.signature_name = "classify_x_to_y"
    request.input.example_list.examples.extend(_examples(1.0, 3.0))
    response = predict_stub.Classify(request, timeout=10)
    scores = [[c.score for c in cl.classes] for cl in response.result.classifications]
    assert scores == [[2.5], [3.5]]
    request = regression_pb2.RegressionRequest()
    request.model_spec.name = "builtin"
    request.model_spec.signature_name = "regress_x_to_y2"
    request.input.example_list_with_context.context.CopyFrom(_examples(2.0)[0])
    request.input.example_list_with_context.examples.extend([example_pb2.Example()] * 2)
    response = predict_stub.Regress(request, timeout=10)
    assert [r.value for r in response.result.regressions] == [4.0, 4.0]


def test_metadata_equals_rest(predict_stub, main_server):
    import requests
    from google.protobuf import json_format

    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "half"
    response = predict_stub.GetModelMetadata(request, timeout=10)
    sigmap = get_model_metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(sigmap)
    rest = requests.get(main_server.url + "/v1/models/half/metadata", timeout=5).json()
    as_json = json_format.MessageToDict(sigmap, preserving_proto_field_name=True,
                                        always_print_fields_with_no_presence=True)
    assert as_json == rest["metadata"]["signature_def"]


def test_model_status(channel):
    stub = model_service_pb2_grpc.ModelServiceStub(channel)
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "two"
    response = stub.GetModelStatus(request, timeout=10)
    assert [(s.version, s.state) for s in response.model_version_status] == [(124, 30), (123, 30)]


def test_health_service(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    assert stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status == \
        health_pb2.HealthCheckResponse.SERVING
    assert stub.Check(health_pb2.HealthCheckRequest(service="half"), timeout=5).status == \
        health_pb2.HealthCheckResponse.SERVING


def test_output_filter(predict_stub):
    request = _predict("half", [[1.0]])
    request.output_filter.append("y")
    assert list(predict_stub.Predict(request, timeout=10).outputs) == ["y"]
