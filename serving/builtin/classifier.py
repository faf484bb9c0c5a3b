"""Place the built-in ImageNet classifier (EfficientNet-Lite0) into a model store version folder.

The committed model.onnx (made by make_classifier.py from the pretrained weights on the package
index) is copied with its model.yaml and labels.txt; with fmt="openvino" it is converted to
OpenVINO IR here, which needs only OpenVINO, not torch. Nothing is downloaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

NAME = "efficientnet_lite0"
SOURCE = Path(__file__).resolve().parent / NAME
FILES = ("model.yaml", "labels.txt")


def write_classifier(version_dir: Path, fmt: str = "onnx") -> None:
    """Write the classifier's files into `version_dir` as "onnx" or "openvino" (IR)."""
    version_dir.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(SOURCE / name, version_dir / name)
    if fmt == "onnx":
        shutil.copyfile(SOURCE / "model.onnx", version_dir / "model.onnx")
    elif fmt == "openvino":
        from serving.builtin.make_classifier import onnx_to_openvino

        onnx_to_openvino(SOURCE / "model.onnx", version_dir)
    else:
        raise ValueError(f"fmt must be onnx or openvino, not {fmt!r}")
