"""ONNX (both engines) and OpenVINO IR: load, signatures, row and columnar predict, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from serving.errors import InvalidArgument
from serving.runtimes.onnx import ONNXRuntime
from serving.runtimes.openvino import OpenVINORuntime
from tests.runtimes.helpers import rest_predict, signature_json

CASES = [
    pytest.param(ONNXRuntime, "onnx_affine", {"onnx_runtime": "onnxruntime"}, id="onnxruntime"),
    pytest.param(ONNXRuntime, "onnx_affine", {"onnx_runtime": "openvino"}, id="onnx-openvino"),
    pytest.param(OpenVINORuntime, "openvino_affine", {}, id="openvino-ir"),
]


@pytest.mark.parametrize(("cls", "name", "options"), CASES)
def test_signature_in_tf_serving_shape(load, cls, name, options):
    runtime = load(cls, name, **options)
    assert set(runtime.signatures) == {"serving_default"}
    sig = signature_json(runtime)
    assert sig["method_name"] == "tensorflow/serving/predict"
    assert sig["inputs"]["x"] == {"name": "x", "dtype": "DT_FLOAT", "tensor_shape": {
        "dim": [{"size": "-1"}, {"size": "3"}]}}
    assert sig["outputs"]["y"]["tensor_shape"] == {"dim": [{"size": "-1"}, {"size": "3"}]}
    assert sig["outputs"]["total"]["tensor_shape"] == {"dim": [{"size": "-1"}]}


@pytest.mark.parametrize(("cls", "name", "options"), CASES)
def test_row_and_columnar_predict(load, cls, name, options):
    runtime = load(cls, name, **options)
    rows = rest_predict(runtime, {"instances": [[1, 2, 3], [4, 5, 6.5]]})
    assert rows == {"predictions": [{"total": 6.0, "y": [3.0, 5.0, 7.0]},
                                    {"total": 15.5, "y": [9.0, 11.0, 14.0]}]}
    columns = rest_predict(runtime, {"inputs": {"x": [[1, 2, 3]]}})
    assert columns == {"outputs": {"total": [6.0], "y": [[3.0, 5.0, 7.0]]}}
    only_y = runtime.predict("serving_default", {"x": np.ones((1, 3), np.float32)}, ["y"])
    assert list(only_y) == ["y"]


@pytest.mark.parametrize(("cls", "name", "options"), CASES)
def test_wrong_shape_is_invalid_argument(load, cls, name, options):
    runtime = load(cls, name, **options)
    with pytest.raises(InvalidArgument):
        runtime.predict("serving_default", {"x": np.ones((2, 5), np.float32)})


def test_onnx_engine_follows_options(load):
    assert load(ONNXRuntime, "onnx_affine", onnx_runtime="openvino")._delegate is not None
    assert load(ONNXRuntime, "onnx_affine", onnx_runtime="onnxruntime")._session is not None


def test_openvino_precision_option(load):
    assert load(OpenVINORuntime, "openvino_affine", openvino_precision="f32").precision == "f32"


def test_accepts_by_files(tmp_path):
    (tmp_path / "model.xml").write_text("<net/>")
    assert not OpenVINORuntime.accepts(tmp_path)  # IR needs its .bin
    (tmp_path / "model.bin").write_bytes(b"")
    assert OpenVINORuntime.accepts(tmp_path)
    assert not ONNXRuntime.accepts(tmp_path)
    (tmp_path / "m.onnx").write_bytes(b"")
    assert ONNXRuntime.accepts(tmp_path)


@pytest.mark.parametrize(("cls", "name", "options", "message"), [
    (ONNXRuntime, "broken_onnx", {"onnx_runtime": "onnxruntime"}, "cannot load ONNX model"),
    (ONNXRuntime, "broken_onnx", {"onnx_runtime": "openvino"}, "with OpenVINO"),
    (OpenVINORuntime, "broken_openvino", {}, "cannot load model.xml with OpenVINO"),
])
def test_corrupt_model_fails_to_load_clearly(load, cls, name, options, message):
    with pytest.raises(RuntimeError, match=message) as info:
        load(cls, name, **options)
    assert "Exception from src" not in str(info.value)
