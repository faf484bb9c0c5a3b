"""serving/images.py: model.yaml, decoding, preprocessing, labelling, clear errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from serving import images
from serving.errors import InvalidArgument


def encoded(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt)
    return buffer.getvalue()


def solid(rgb, size=(4, 6)) -> np.ndarray:
    return np.tile(np.array(rgb, np.uint8), (*size, 1))


def noise() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)


def test_preprocess_layout_colour_and_normalisation():
    config = images.ImageConfig(size=(2, 3), resize=0, mean=(10, 20, 30), std=(2, 4, 5))
    x = images.decode(encoded(solid((30, 60, 80))), config)
    assert x.shape == (3, 2, 3) and x.dtype == np.float32  # NCHW without the batch
    assert x[:, 0, 0].tolist() == [10.0, 10.0, 10.0]
    nhwc_bgr = images.ImageConfig(size=(2, 3), resize=0, layout="NHWC", color="BGR")
    assert images.decode(encoded(solid((30, 60, 80))), nhwc_bgr)[0, 0].tolist() == [80, 60, 30]
    raw = images.ImageConfig(size=(2, 2), resize=0, dtype="uint8")
    assert images.decode(encoded(solid((1, 2, 3)), "JPEG"), raw).dtype == np.uint8


def test_resize_then_centre_crop():
    array = np.zeros((40, 120, 3), np.uint8)
    array[:, 40:80] = 255  # a white middle third: the centre crop keeps only it
    crop = images.ImageConfig(size=(4, 4), resize=4, scale=1 / 255)
    x = images.decode(encoded(array), crop)
    assert x.shape == (3, 4, 4) and x.mean() > 0.9
    squash = images.ImageConfig(size=(4, 4), resize=0, scale=1 / 255)
    assert images.decode(encoded(array), squash).mean() < 0.5


@pytest.mark.parametrize(("payload", "message"), [
    (b"definitely not an image", "instance 0: not a JPEG or PNG image"),
    (encoded(noise(), "JPEG")[:600], "instance 0: corrupt image data"),
    (encoded(solid((1, 2, 3)), "TIFF"), "TIFF images are not accepted"),
])
def test_bad_payloads_are_invalid_argument(payload, message):
    with pytest.raises(InvalidArgument, match=message) as info:
        images.decode(payload, images.ImageConfig())
    assert info.value.http_status == 400


def test_top_classes_softmax_and_labels():
    logits = np.array([[0.0, 3.0, 1.0], [5.0, 0.0, 0.0]], np.float32)
    classes, scores = images.top_classes(logits, ["a", "b", "c"], 2, softmax=True)
    assert classes.tolist() == [[b"b", b"c"], [b"a", b"b"]]
    assert scores.shape == (2, 2) and scores[0, 0] == pytest.approx(0.8437947)
    classes, _ = images.top_classes(logits, [], 1, softmax=False)
    assert classes.tolist() == [[b"1"], [b"0"]]


def test_config_file_validation(tmp_path):
    version = tmp_path / "m" / "1"
    version.mkdir(parents=True)
    assert images.find_config(version) is None
    (tmp_path / "m" / "model.yaml").write_text("image:\n  size: [8, 8]\n  layout: CHW\n")
    assert images.find_config(version) == tmp_path / "m" / "model.yaml"
    with pytest.raises(ValueError, match="layout must be NCHW or NHWC"):
        images.ImageConfig.from_file(images.find_config(version))
    (version / "model.yaml").write_text("image:\n  sise: [8, 8]\n")
    with pytest.raises(ValueError, match="unknown image keys"):
        images.ImageConfig.from_file(images.find_config(version))
