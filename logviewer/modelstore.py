"""The local model store as it is on disk: <base>/<model>/<version>/files.

A scan walks only inside the store: symlinks that point out of it are listed but not followed,
and the per-version file list is capped so a huge model directory stays cheap to show.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from logviewer.paths import contained, is_safe_component

MAX_FILES = 500


@dataclass
class Version:
    number: int
    path: Path
    formats: list[str] = field(default_factory=list)
    size: int = 0
    files: list[tuple[str, int]] = field(default_factory=list)  # (relative path, bytes)
    more_files: int = 0  # files beyond MAX_FILES, not listed


@dataclass
class Model:
    name: str
    versions: list[Version]


def store_dir(settings, layout) -> Path:
    """model.base.path when it is a directory, else the node's model store."""
    base = settings["model.base.path"]
    if base.startswith("/"):
        return Path(base)
    return layout.models_dir


def detect_formats(names: list[str]) -> list[str]:
    """Formats named by a version's files, as the model server detects them (SPEC §6)."""
    lower = [n.lower() for n in names]
    base = {os.path.basename(n) for n in lower}
    found = []
    if "saved_model.pb" in base or "saved_model.pbtxt" in base:
        found.append("tensorflow")
    xml = {n[:-4] for n in lower if n.endswith(".xml")}
    if any(n[:-4] in xml for n in lower if n.endswith(".bin")):
        found.append("openvino")
    if any(n.endswith(".onnx") for n in lower):
        found.append("onnx")
    if any(n.endswith(".pmml") for n in lower):
        found.append("pmml")
    return found


def scan_version(root: Path, number: int, path: Path) -> Version:
    """Files, total size and formats of one version directory (no symlink followed out)."""
    version = Version(number, path)
    names = []
    for dirpath, dirnames, filenames in os.walk(path):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if contained(root, here / d))
        for name in sorted(filenames):
            full = here / name
            if not contained(root, full):
                continue
            size = full.stat().st_size
            rel = str(full.relative_to(path))
            names.append(rel)
            version.size += size
            if len(version.files) < MAX_FILES:
                version.files.append((rel, size))
            else:
                version.more_files += 1
    version.formats = detect_formats(names)
    return version


def scan(root: Path) -> list[Model]:
    """Every model folder and its integer version folders, sorted by name and version."""
    if not root.is_dir():
        return []
    models = []
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or not is_safe_component(entry.name) or not contained(root, entry):
            continue
        versions = [scan_version(root, number, path) for number, path in version_dirs(root, entry)]
        models.append(Model(entry.name, sorted(versions, key=lambda v: v.number)))
    return models


def version_dirs(root: Path, model_dir: Path) -> list[tuple[int, Path]]:
    """(number, folder) of each version folder: positive integers, leading zeros allowed
    (TensorFlow Serving's 00000123 is version 123), inside the store."""
    if not model_dir.is_dir():
        return []
    return [(int(v.name), v) for v in model_dir.iterdir()
            if v.name.isdigit() and int(v.name) > 0 and v.is_dir() and contained(root, v)]


def find_version(root: Path, model: str, number: int) -> Version | None:
    """The scanned version `number` of `model` (a safe name), or None when not on disk."""
    for found, path in version_dirs(root, root / model):
        if found == number:
            return scan_version(root, number, path)
    return None
