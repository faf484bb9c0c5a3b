"""The built-in EfficientNet-Lite0 on real photographs shipped by scikit-image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from serving import images
from serving.builtin.classifier import write_classifier
from serving.runtimes.base import RuntimeOptions
from serving.runtimes.onnx import ONNXRuntime
from serving.runtimes.openvino import OpenVINORuntime

CATS = {"tiger cat", "tabby, tabby cat", "Egyptian cat"}  # ImageNet's domestic cats


def photo(name: str) -> bytes:
    import skimage.data

    return (Path(skimage.data.__file__).parent / name).read_bytes()


PHOTOS = {"coffee.png": "espresso", "camera.png": "tripod", "chelsea.png": CATS}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("classifier")
    write_classifier(root / "onnx" / "1", "onnx")
    write_classifier(root / "openvino" / "1", "openvino")
    return root


def top1(store: Path, fmt: str, **options) -> list[str]:
    cls = ONNXRuntime if fmt == "onnx" else OpenVINORuntime
    version = store / fmt / "1"
    runtime = images.wrap(version, cls(version, RuntimeOptions(**options)))
    runtime.load()
    try:
        batch = np.array([photo(name) for name in PHOTOS], dtype=object)
        out = runtime.predict("serving_default", {"image_bytes": batch})
    finally:
        runtime.unload()
    assert out["classes"].shape == out["scores"].shape == (len(PHOTOS), 5)
    assert (np.diff(out["scores"], axis=1) <= 0).all()  # best first
    return [row[0].decode() for row in out["classes"]]


def expected_ok(got: list[str]) -> bool:
    return all(g == want or g in want for g, want in zip(got, PHOTOS.values()))


@pytest.mark.parametrize(("fmt", "options"), [
    ("onnx", {"onnx_runtime": "onnxruntime"}),
    ("onnx", {"onnx_runtime": "openvino"}),
    ("openvino", {}),
])
def test_right_top1_on_real_photos(store, fmt, options):
    got = top1(store, fmt, **options)
    assert expected_ok(got), got


def test_default_precision_matches_f32(store):
    default = top1(store, "openvino")
    assert top1(store, "openvino", openvino_precision="f32") == default


def test_signature_takes_image_bytes_and_keeps_raw(store):
    version = store / "onnx" / "1"
    runtime = images.wrap(version, ONNXRuntime(version, RuntimeOptions()))
    runtime.load()
    sigs = runtime.signatures
    assert set(sigs) == {"serving_default", "raw"}
    assert sigs["serving_default"].inputs["image_bytes"].shape == (-1,)
    assert sigs["serving_default"].outputs["classes"].shape == (-1, 5)
    assert sigs["raw"].inputs["images"].shape == (-1, 3, 224, 224)
    runtime.unload()


def test_labels_must_match_the_model(store, tmp_path):
    version = tmp_path / "1"
    write_classifier(version, "onnx")
    (version / "labels.txt").write_text("only\ntwo\n")
    with pytest.raises(ValueError, match="has 2 labels but .* has 1000 classes"):
        images.wrap(version, ONNXRuntime(version, RuntimeOptions())).load()
