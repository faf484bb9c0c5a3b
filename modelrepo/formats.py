"""Recognise a model format from file names, for a local directory or a bucket listing alike.

The same rule as the model server's runtimes (SPEC §6): saved_model.pb -> tensorflow,
*.xml + *.bin -> openvino, *.onnx -> onnx, *.pmml -> pmml. Only names at the top of the version
folder count, as in TensorFlow Serving.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

VERSION_RE = re.compile(r"0*[1-9][0-9]{0,17}")


def detect(names: Iterable[str]) -> str | None:
    """Format name for the relative paths of one version's files, or None when unrecognised."""
    top = {n for n in names if "/" not in n.strip("/")}
    if "saved_model.pb" in top or "saved_model.pbtxt" in top:
        return "tensorflow"
    stems_xml = {n[:-4] for n in top if n.endswith(".xml")}
    stems_bin = {n[:-4] for n in top if n.endswith(".bin")}
    if stems_xml & stems_bin:
        return "openvino"
    if any(n.endswith(".onnx") for n in top):
        return "onnx"
    if any(n.endswith(".pmml") for n in top):
        return "pmml"
    return None


def detect_dir(path: Path) -> str | None:
    """Format of a version directory on disk."""
    return detect(p.name for p in path.iterdir() if p.is_file()) if path.is_dir() else None


def is_version(name: str) -> bool:
    """True for a positive integer folder name; leading zeros allowed, as TF Serving's 00000123."""
    return bool(VERSION_RE.fullmatch(name))


def defining_last(names: Iterable[str]) -> list[str]:
    """Upload order that puts the files that make a format recognisable last.

    With this order a half-uploaded version has no recognised format, so even a sync that catches
    it between two uploads of an otherwise quiet listing refuses it.
    """
    def key(name: str) -> tuple[int, str]:
        top = "/" not in name
        defining = top and (name in ("saved_model.pb", "saved_model.pbtxt")
                            or name.endswith((".xml", ".onnx", ".pmml")))
        return (1 if defining else 0, name)

    return sorted(names, key=key)
