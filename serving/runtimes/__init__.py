"""Runtime registry: format name -> "module:Class", imported only when a model needs it.

A new format adds its module under serving/runtimes/ and one line to `RUNTIMES`; nothing else
changes. `detect()` asks each runtime class, in `RUNTIMES` order, whether a version directory
is its format; classes are imported lazily, so a node without OpenVINO still serves SavedModels,
and a model needing a missing framework gets a clear `RuntimeMissing` error in its status.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from serving.errors import RuntimeMissing
from serving.runtimes.base import Runtime

# Order matters: the first runtime accepting a directory wins (SavedModel before OpenVINO).
RUNTIMES: dict[str, str] = {
    "tensorflow": "serving.runtimes.tensorflow:TensorFlowRuntime",
    "openvino": "serving.runtimes.openvino:OpenVINORuntime",
    "onnx": "serving.runtimes.onnx:ONNXRuntime",
    "pmml": "serving.runtimes.pmml:PMMLRuntime",
}

# Files that identify each format without importing its framework.
_MARKERS: dict[str, tuple[str, ...]] = {
    "tensorflow": ("saved_model.pb", "saved_model.pbtxt"),
    "openvino": ("*.xml",),
    "onnx": ("*.onnx",),
    "pmml": ("*.pmml",),
}


def runtime_class(format_name: str) -> type[Runtime]:
    """Import and return the runtime class for a format; RuntimeMissing when not importable."""
    try:
        target = RUNTIMES[format_name]
    except KeyError:
        raise RuntimeMissing(f"Unknown model format: {format_name}") from None
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RuntimeMissing(
            f"The {format_name} runtime is not available on this node ({exc}); "
            f"install its framework to serve this model") from exc
    return getattr(module, class_name)


def detect(version_dir: Path) -> str:
    """The format name of a version directory, chosen by its files.

    Each importable runtime decides with its own `accepts()`; for one that cannot be imported,
    file markers decide, so the error names the missing framework rather than "unknown format".
    """
    for name in RUNTIMES:
        try:
            accepted = runtime_class(name).accepts(version_dir)
        except RuntimeMissing:
            accepted = _has_markers(name, version_dir)
        if accepted:
            return name
    raise RuntimeMissing(
        f"No known model format in {version_dir}: expected saved_model.pb (TensorFlow), "
        "*.xml + *.bin (OpenVINO), *.onnx (ONNX) or *.pmml (PMML)")


def _has_markers(name: str, version_dir: Path) -> bool:
    found = any(next(version_dir.glob(p), None) is not None for p in _MARKERS.get(name, ()))
    if name == "openvino":
        found = found and next(version_dir.glob("*.bin"), None) is not None
    return found


def create(version_dir: Path, options=None) -> Runtime:
    """A constructed, not yet loaded, runtime for a version directory.

    A model with a model.yaml (serving/images.py) gets its runtime wrapped to take images.
    """
    from serving import images

    return images.wrap(version_dir, runtime_class(detect(version_dir))(version_dir, options))
