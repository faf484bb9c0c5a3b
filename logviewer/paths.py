"""Resolve names from URLs to files strictly inside one root directory.

Every file the browser serves goes through `inside`: a name is one plain path component at a
time (no `..`, no separators, no hidden names), and the resolved real path (symlinks followed)
must still lie under the root's real path, so a symlink pointing out is refused too.
"""

from __future__ import annotations

import re
from pathlib import Path

_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+@-]{0,254}")


class PathRefused(LookupError):
    """The name does not denote a readable file or directory inside the root."""


def is_safe_component(name: str) -> bool:
    """True for one plain path component that cannot climb or hide (`..`, `/`, `.x`)."""
    return bool(_COMPONENT.fullmatch(name)) and name not in (".", "..")


def inside(root: Path, *parts: str) -> Path:
    """The real path of root/parts..., or PathRefused if it is not inside root."""
    if not all(is_safe_component(p) for p in parts):
        raise PathRefused("/".join(parts))
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if not target.is_relative_to(base) or not target.exists():
        raise PathRefused("/".join(parts))
    return target


def contained(root: Path, path: Path) -> bool:
    """True when `path`, symlinks resolved, lies inside root (used while walking a tree)."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False
