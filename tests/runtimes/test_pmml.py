"""PMML: fields as [-1] tensors, one answer object per instance with every output field."""

from __future__ import annotations

import math

import pytest

from serving.runtimes.pmml import PMMLRuntime
from tests.runtimes.helpers import rest_predict, signature_json


@pytest.fixture(scope="module")
def models():
    from tests.runtimes.conftest import MODELS

    loaded = {name: PMMLRuntime(MODELS / name / "1") for name in ("pmml_regression", "pmml_tree")}
    for runtime in loaded.values():
        runtime.load()
    yield loaded
    for runtime in loaded.values():
        runtime.unload()


def test_metadata_lists_input_and_output_fields(models):
    sig = signature_json(models["pmml_tree"])
    assert {k: v["dtype"] for k, v in sig["inputs"].items()} == {
        "x1": "DT_DOUBLE", "color": "DT_STRING"}
    assert {k: v["dtype"] for k, v in sig["outputs"].items()} == {
        "predicted_label": "DT_STRING", "probability_low": "DT_DOUBLE",
        "probability_high": "DT_DOUBLE"}
    assert sig["inputs"]["x1"]["tensor_shape"] == {"dim": [{"size": "-1"}]}


def test_regression_rows_and_columns(models):
    runtime = models["pmml_regression"]
    rows = rest_predict(runtime, {"instances": [{"x1": 1, "x2": 0}, {"x1": 2, "x2": 1}]})
    assert rows == {"predictions": [3.0, 2.0]}  # a single output: bare values, as TF Serving
    columns = rest_predict(runtime, {"inputs": {"x1": [1.5], "x2": [0.5]}})
    assert columns == {"outputs": [2.5]}


def test_tree_answers_one_object_per_instance(models):
    body = rest_predict(models["pmml_tree"], {"instances": [
        {"x1": 0.1, "color": "red"}, {"x1": 0.9, "color": "blue"}]})
    assert body == {"predictions": [
        {"predicted_label": "low", "probability_low": 0.8, "probability_high": 0.2},
        {"predicted_label": "high", "probability_low": 0.1, "probability_high": 0.9}]}


def test_missing_value_is_scored(models):
    import numpy as np

    out = models["pmml_regression"].predict(
        "serving_default", {"x1": np.array([math.nan]), "x2": np.array([1.0])})
    assert out["predicted_y"].shape == (1,)


def test_corrupt_pmml_fails_to_load_clearly():
    from tests.runtimes.conftest import MODELS

    with pytest.raises(RuntimeError, match="cannot load PMML model model.pmml: not a valid PMML"):
        PMMLRuntime(MODELS / "broken_pmml" / "1").load()
