"""ONNX, OpenVINO, PMML and the image classifier served side by side by a real model server
process on 127.0.0.60, next to one broken model of each format."""

from __future__ import annotations

import base64
import io
import shutil

import numpy as np
import pytest
import requests

from serving.builtin.classifier import write_classifier
from tests.runtimes.conftest import MODELS
from tests.runtimes.test_classifier import photo
from tests.serving.conftest import model, start_server, wait_until

GOOD = ["onnx_affine", "openvino_affine", "pmml_regression", "pmml_tree"]
BROKEN = ["broken_onnx", "broken_openvino", "broken_pmml"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    store = root / "models"
    for name in GOOD + BROKEN:
        shutil.copytree(MODELS / name, store / name)
    write_classifier(store / "efficientnet_lite0" / "1", "onnx")
    names = [*GOOD, *BROKEN, "efficientnet_lite0"]
    server = start_server(root, "127.0.0.60", [model(n, store / n) for n in names],
                          wait_healthy=False)
    try:
        for name in [*GOOD, "efficientnet_lite0"]:
            wait_until(lambda n=name: state(server, n) == "AVAILABLE", timeout=90,
                       what=f"{name} AVAILABLE")
        for name in BROKEN:
            wait_until(lambda n=name: state(server, n) == "END", timeout=90, what=f"{name} END")
        yield server
    finally:
        assert server.stop() == 0, server.log()[-3000:]


def state(server, name: str) -> str | None:
    body = requests.get(f"{server.url}/v1/models/{name}", timeout=5).json()
    return body["model_version_status"][0]["state"] if "model_version_status" in body else None


def predict(server, name: str, body: dict) -> requests.Response:
    return requests.post(f"{server.url}/v1/models/{name}:predict", json=body, timeout=30)


def jpeg(png: bytes) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def b64(data: bytes) -> dict:
    return {"b64": base64.b64encode(data).decode()}


def test_rest_b64_jpeg_gives_labelled_classes(server):
    answer = predict(server, "efficientnet_lite0", {"instances": [
        b64(jpeg(photo("coffee.png"))), b64(jpeg(photo("camera.png")))]})
    assert answer.status_code == 200, answer.text
    first, second = answer.json()["predictions"]
    assert first["classes"][0] == "espresso" and 0.5 < first["scores"][0] <= 1
    assert second["classes"][0] == "tripod"
    assert len(first["classes"]) == len(first["scores"]) == 5


def test_corrupt_image_is_a_clear_400(server):
    answer = predict(server, "efficientnet_lite0", {"instances": [b64(b"GIF? no, just text")]})
    assert answer.status_code == 400
    assert "not a JPEG or PNG image" in answer.json()["error"]


def test_classifier_metadata_takes_image_bytes(server):
    meta = requests.get(f"{server.url}/v1/models/efficientnet_lite0/metadata", timeout=5).json()
    sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["inputs"]["image_bytes"]["dtype"] == "DT_STRING"
    assert sig["outputs"]["classes"]["tensor_shape"]["dim"][1]["size"] == "5"


def test_grpc_predict_with_image_bytes(server):
    import grpc
    from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    request = predict_pb2.PredictRequest()
    request.model_spec.name = "efficientnet_lite0"
    request.inputs["image_bytes"].CopyFrom(tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING, string_val=[photo("coffee.png")],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)])))
    with grpc.insecure_channel(server.grpc_target) as channel:
        reply = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(
            request, timeout=30)
    assert reply.outputs["classes"].string_val[0] == b"espresso"


def test_formats_side_by_side(server):
    for name in ("onnx_affine", "openvino_affine"):
        answer = predict(server, name, {"instances": [[1, 2, 3]]})
        assert answer.json() == {"predictions": [{"total": 6.0, "y": [3.0, 5.0, 7.0]}]}, name
    answer = predict(server, "pmml_regression", {"inputs": {"x1": [1.0, 2.0], "x2": [0, 1]}})
    assert answer.json() == {"outputs": [3.0, 2.0]}
    answer = predict(server, "pmml_tree", {"instances": [{"x1": 0.9, "color": "red"}]})
    assert answer.json()["predictions"][0]["predicted_label"] == "high"


def test_broken_models_are_reported_and_disturb_nobody(server):
    models = requests.get(f"{server.url}/v1/models", timeout=5).json()["models"]
    versions = {m["name"]: m["versions"][0] for m in models}
    for name, message in (("broken_onnx", "model.onnx"), ("broken_openvino", "model.xml"),
                          ("broken_pmml", "not a valid PMML")):
        assert versions[name]["state"] == "END"
        assert message in versions[name]["error"], versions[name]
    health = requests.get(f"{server.url}/health", timeout=5)
    assert health.status_code == 503
    assert set(health.json()["models"]["broken_pmml"]["available"]) == set()
    for name in [*GOOD, "efficientnet_lite0"]:
        assert versions[name]["state"] == "AVAILABLE", name
    x = np.ones((1, 3)).tolist()
    assert predict(server, "onnx_affine", {"instances": x}).status_code == 200
