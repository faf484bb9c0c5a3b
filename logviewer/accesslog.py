"""Envoy's access log (`envoy.log`, one JSON object per line, fields in docs/CONTRACTS.md).

Parsing is tolerant: a line that is not JSON is skipped and counted, a missing field is `None`.
Only the end of the log is read (`tail.last_lines`), so a large log costs no more than a small one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from logviewer import tail

ACCESS_LOG = "envoy.log"
_REST = re.compile(
    r"/v1/models/(?P<model>[^/:?]+)"
    r"(?:/(?P<kind>versions|labels)/(?P<which>[^/:?]+))?"
    r"(?:/(?P<sub>metadata))?(?::(?P<verb>[A-Za-z]+))?/?(?:\?.*)?")
_GRPC = re.compile(r"/(?P<service>[A-Za-z0-9_.]+)/(?P<method>[A-Za-z0-9_]+)")
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


def _none(value):
    return None if value in (None, "-", "") else value


@dataclass(frozen=True)
class Entry:
    time: datetime | None
    method: str | None
    path: str | None
    model: str | None
    version: str | None  # "2" for /versions/2, "label:stable" for /labels/stable
    verb: str | None  # predict, classify, regress, metadata, status
    grpc_method: str | None  # e.g. PredictionService/Predict
    status: int | None
    grpc_status: str | None
    duration_ms: float | None
    upstream: str | None
    flags: str | None
    attempts: int | None
    request_id: str | None

    @property
    def status_class(self) -> str | None:
        return f"{self.status // 100}xx" if isinstance(self.status, int) else None


def _time(text) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def split_path(path: str | None) -> dict:
    """Model, version or label, verb and gRPC method named by a request path."""
    out = {"model": None, "version": None, "verb": None, "grpc_method": None}
    if not path:
        return out
    if m := _REST.fullmatch(path):
        out["model"] = m["model"]
        if m["kind"]:
            out["version"] = m["which"] if m["kind"] == "versions" else f"label:{m['which']}"
        out["verb"] = (m["verb"] or m["sub"] or "status").lower()
    elif m := _GRPC.fullmatch(path):
        out["grpc_method"] = f"{m['service'].rsplit('.', 1)[-1]}/{m['method']}"
    return out


def _number(value, kind):
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


def parse_line(line: str) -> Entry | None:
    """One log line as an Entry, or None when it is not a JSON object."""
    try:
        raw = json.loads(line)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    raw = {k: _none(v) for k, v in raw.items()}
    parts = split_path(raw.get("path"))
    return Entry(time=_time(raw.get("time")), method=raw.get("method"), path=raw.get("path"),
                 status=_number(raw.get("status"), int), grpc_status=raw.get("grpc_status"),
                 duration_ms=_number(raw.get("duration_ms"), float),
                 upstream=raw.get("upstream"), flags=raw.get("flags"),
                 attempts=_number(raw.get("attempts"), int),
                 request_id=raw.get("request_id"), **parts)


@dataclass(frozen=True)
class Filters:
    model: str = ""
    status: str = ""  # one of STATUS_CLASSES or ""
    node: str = ""

    def keep(self, e: Entry) -> bool:
        return ((not self.model or e.model == self.model)
                and (not self.status or e.status_class == self.status)
                and (not self.node or e.upstream == self.node))


@dataclass(frozen=True)
class View:
    rows: list[Entry]  # newest first, filtered
    scanned: int
    unparsed: int
    models: list[str]
    nodes: list[str]
    per_node: list[tuple[str, int, list[int]]]  # node, total, per-minute counts (oldest first)
    minutes: int


def per_node_counts(entries: list[Entry], now: datetime, minutes: int):
    """Requests per upstream node in each of the last `minutes` minutes, busiest node first."""
    start = now - timedelta(minutes=minutes)
    buckets: dict[str, list[int]] = {}
    for e in entries:
        if e.time is None or not start < e.time <= now:
            continue
        index = min(minutes - 1, int((e.time - start).total_seconds() // 60))
        buckets.setdefault(e.upstream or "(none)", [0] * minutes)[index] += 1
    rows = [(node, sum(c), c) for node, c in buckets.items()]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def load(path: Path, filters: Filters, scan: int, limit: int, minutes: int,
         now: datetime | None = None) -> View:
    """The last `scan` lines of the access log, filtered, with per-node counts."""
    lines = tail.last_lines(path, scan).lines if path.is_file() else []
    entries = [e for e in map(parse_line, lines) if e is not None]
    now = now or datetime.now(UTC)
    rows = [e for e in reversed(entries) if filters.keep(e)][:limit]
    models = sorted({e.model for e in entries if e.model})
    nodes = sorted({e.upstream for e in entries if e.upstream})
    return View(rows=rows, scanned=len(lines), unparsed=len(lines) - len(entries), models=models,
                nodes=nodes, per_node=per_node_counts(entries, now, minutes), minutes=minutes)

