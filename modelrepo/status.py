"""The sync's status file: what `appliance status` and the model server's /health show.

Written atomically (temporary file + rename) after every poll, so readers never see half a file.
Fields are documented in docs/CONTRACTS.md ("Model sync status file").
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATES = ("starting", "ok", "unreachable", "credentials", "bucket", "error")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write(path: Path, status: dict[str, Any]) -> None:
    """Replace the file at `path` with `status` as JSON, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(status, out, indent=2, sort_keys=True)
        out.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def read(path: Path) -> dict[str, Any] | None:
    """The last status written, or None when the sync has not written one yet."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def describe(status: dict[str, Any] | None, stale_after: float = 300.0) -> str:
    """One line for `appliance status` / health details, e.g. 'store unreachable since ...'."""
    if status is None:
        return "model sync: no status yet"
    age = time.time() - float(status.get("updated_unix", 0))
    stale = f" (status {age:.0f}s old: is model_sync running?)" if age > stale_after else ""
    state = status.get("state")
    if state == "ok":
        return (f"model store {status.get('store')}: ok, last sync "
                f"{status.get('last_success')}{stale}")
    if state == "starting":
        return f"model store {status.get('store')}: first sync in progress{stale}"
    label = {"unreachable": "store unreachable", "credentials": "credentials rejected",
             "bucket": "bucket missing"}.get(state, "sync failing")
    return (f"model store {status.get('store')}: {label} since {status.get('failing_since')}; "
            f"serving cached versions; last error: {status.get('last_error')}{stale}")
