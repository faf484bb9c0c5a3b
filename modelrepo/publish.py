"""Publish a model version (`appliance models push`) and list what a store holds.

Layout is the same as `s3cmd sync DIR s3://models/` and the local store: <name>/<version>/<files>.
A local push is atomic (copy to a staging folder, one rename). S3 has no rename: objects are
uploaded with the format-defining file last, and the sync's rule (a listing stable across polls
with a recognised format) keeps a half-uploaded version from ever being loaded.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from modelrepo.errors import PublishError
from modelrepo.formats import defining_last, detect, detect_dir, is_version
from modelrepo.progress import Progress
from modelrepo.store import StoreConfig, call, list_models

PUSH_STAGING = ".push-staging"


@dataclass(frozen=True)
class VersionRow:
    model: str
    version: int
    format: str | None
    files: int
    bytes: int


def files_of(src: Path) -> dict[str, Path]:
    """Relative POSIX name -> file, for every regular file under `src` (symlinks refused)."""
    out = {}
    for path in sorted(src.rglob("*")):
        if path.is_symlink():
            raise PublishError(f"{path}: symbolic links are not published; copy the file")
        if path.is_file():
            out[path.relative_to(src).as_posix()] = path
    return out


def validate(src: Path, load: bool = True, out: TextIO | None = None) -> str:
    """The format of a version directory; PublishError unless recognised and (if asked) loadable.

    Loading uses the model server's own runtime (serving.runtimes), so a model that would fail
    to load on the nodes fails here first. A runtime whose framework is not installed on this
    machine is reported and skipped: the format check still applies.
    """
    if not src.is_dir():
        raise PublishError(f"{src} is not a directory")
    fmt = detect_dir(src)
    if fmt is None:
        raise PublishError(f"{src}: no recognised model format; expected saved_model.pb "
                           "(TensorFlow), *.xml + *.bin (OpenVINO), *.onnx (ONNX) or *.pmml "
                           "(PMML) at the top of the directory")
    if load:
        _load_check(src, fmt, out or sys.stderr)
    return fmt


def _load_check(src: Path, fmt: str, out: TextIO) -> None:
    try:
        from serving import runtimes
        from serving.errors import RuntimeMissing
    except ImportError:  # the model server is not installed here: format check only
        out.write("serving.runtimes not available: checked the format only\n")
        return
    try:
        runtime = runtimes.create(src)
    except RuntimeMissing as exc:
        out.write(f"cannot load-check a {fmt} model on this machine ({exc}); format checked\n")
        return
    try:
        runtime.load()
    except Exception as exc:  # any framework error means the nodes would fail the same way
        raise PublishError(f"{src}: the {fmt} runtime cannot load it: {exc}") from exc
    finally:
        runtime.unload()


class LocalStore:
    """The node's model store directory (s3.type = none)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __str__(self) -> str:
        return str(self.root)

    def folders(self, name: str) -> dict[int, str]:
        """Version -> folder name (e.g. 00000123) of `name`'s versions."""
        folder = self.root / name
        return {int(p.name): p.name for p in folder.iterdir()
                if p.is_dir() and is_version(p.name)} if folder.is_dir() else {}

    def versions(self, name: str) -> list[int]:
        return sorted(self.folders(name))

    def upload(self, src: Path, name: str, folder: str, out: TextIO) -> None:
        """Copy `src` to <root>/<name>/<folder> through a staging folder and one rename."""
        files = files_of(src)
        progress = Progress(sum(p.stat().st_size for p in files.values()), out, "copying")
        (self.root / PUSH_STAGING).mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{name}.{folder}.", dir=self.root / PUSH_STAGING))
        try:
            for rel, path in files.items():
                (staging / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, staging / rel)
                progress.update(path.stat().st_size)
            (self.root / name).mkdir(exist_ok=True)
            os.rename(staging, self.root / name / folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            progress.finish()

    def rows(self) -> list[VersionRow]:
        rows = []
        models = sorted(p.name for p in self.root.iterdir()
                        if p.is_dir() and not p.name.startswith(".")) if self.root.is_dir() else []
        for model in models:
            for version, folder in sorted(self.folders(model).items()):
                files = files_of(self.root / model / folder)
                rows.append(VersionRow(model, version, detect(files), len(files),
                                       sum(p.stat().st_size for p in files.values())))
        return rows


class BucketStore:
    """A bucket (s3.type = minio or s3)."""

    def __init__(self, store: StoreConfig) -> None:
        self.store, self.client = store, store.client()

    def __str__(self) -> str:
        return self.store.url

    def versions(self, name: str) -> list[int]:
        return sorted(list_models(self.store, self.client, (name,))[name])

    def upload(self, src: Path, name: str, folder: str, out: TextIO) -> None:
        """Upload every file of `src` as <name>/<folder>/..., format-defining files last."""
        files = files_of(src)
        progress = Progress(sum(p.stat().st_size for p in files.values()), out)
        try:
            for rel in defining_last(files):
                key = self.store.key(name, folder, rel)
                call(self.store, f"uploading {key} to", lambda key=key, rel=rel: (
                    self.client.fput_object(self.store.bucket, key, str(files[rel]),
                                            progress=progress)))
        finally:
            progress.finish()

    def rows(self) -> list[VersionRow]:
        rows = []
        for model, versions in sorted(list_models(self.store, self.client, None).items()):
            for version, listing in sorted(versions.items()):
                objects = listing.objects
                rows.append(VersionRow(model, version, detect(o.name for o in objects),
                                       len(objects), sum(o.size for o in objects)))
        return rows


Store = LocalStore | BucketStore


def push(src: Path, name: str, target: Store, version: int | None = None, load: bool = True,
         out: TextIO | None = None) -> tuple[int, str]:
    """Validate `src` and publish it as `name`/`version` (default: newest + 1); return both."""
    out = out or sys.stderr
    fmt = validate(src, load, out)
    existing = target.versions(name)
    if version is None:
        version = (existing[-1] if existing else 0) + 1
    elif version < 1:
        raise PublishError(f"version {version} is not a positive integer")
    elif version in existing:
        raise PublishError(f"{name}/{version} already exists in {target}; versions are "
                           f"immutable, push as {existing[-1] + 1} (or leave out --version)")
    target.upload(src, name, str(version), out)
    return version, fmt


def format_rows(rows: list[VersionRow]) -> str:
    """The table `appliance models list` prints."""
    lines = [f"{'MODEL':<32} {'VERSION':>7} {'FORMAT':<10} {'FILES':>5} {'SIZE':>10}"]
    for r in rows:
        lines.append(f"{r.model:<32} {r.version:>7} {r.format or '?':<10} {r.files:>5} "
                     f"{_size(r.bytes):>10}")
    return "\n".join(lines)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
