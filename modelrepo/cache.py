"""The node-local cache the model server polls: <cache>/<model>/<version>/.

A version appears only by one rename of a complete staging directory and disappears by one rename
into a trash directory, so the server never sees a half-written or half-deleted version.
Staging and trash live inside the cache directory (same filesystem, so rename is atomic) under
names starting with "." that are never model names.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from modelrepo.formats import is_version

STAGING = ".staging"
TRASH = ".trash"


class Cache:
    """One cache directory; not thread-safe, used by the one sync loop of a node."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def prepare(self) -> None:
        """Create the directory and drop leftovers of an interrupted run (never visible)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for leftover in (STAGING, TRASH):
            shutil.rmtree(self.root / leftover, ignore_errors=True)
            (self.root / leftover).mkdir()

    def folders(self, model: str) -> dict[int, str]:
        """Version -> folder name (as in the bucket, e.g. 00000123) of versions in place."""
        folder = self.root / model
        if not folder.is_dir():
            return {}
        return {int(p.name): p.name for p in folder.iterdir() if p.is_dir() and is_version(p.name)}

    def versions(self, model: str) -> list[int]:
        """Versions in place for `model`, ascending."""
        return sorted(self.folders(model))

    def new_staging(self, model: str, version: int) -> Path:
        """An empty directory to download one version into."""
        return Path(tempfile.mkdtemp(prefix=f"{model}.{version}.", dir=self.root / STAGING))

    def place(self, staging: Path, model: str, folder: str) -> None:
        """Make a verified staging directory visible as <model>/<folder> with one rename."""
        (self.root / model).mkdir(exist_ok=True)
        os.rename(staging, self.root / model / folder)

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def remove(self, model: str, version: int) -> None:
        """Make a version vanish with one rename, then delete its files."""
        gone = Path(tempfile.mkdtemp(prefix=f"{model}.{version}.", dir=self.root / TRASH))
        os.rename(self.root / model / self.folders(model)[version], gone / "v")
        shutil.rmtree(gone, ignore_errors=True)
