"""Client for Envoy's admin interface on its unix socket (the full, mutating interface)."""

from __future__ import annotations

import http.client
import json
import socket
from pathlib import Path


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class EnvoyAdmin:
    def __init__(self, socket_path: Path, timeout: float = 2.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def request(self, method: str, path: str) -> tuple[int, str]:
        conn = _UnixConnection(self.socket_path, self.timeout)
        try:
            conn.request(method, path)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def get_json(self, path: str) -> dict:
        status, body = self.request("GET", path)
        if status != 200:
            raise OSError(f"Envoy admin {path} answered {status}: {body.strip()[:200]}")
        return json.loads(body)

    def stats(self, pattern: str) -> dict[str, int]:
        """Counter and gauge values whose names match the regex `pattern`."""
        from urllib.parse import quote

        data = self.get_json(f"/stats?format=json&filter={quote(pattern)}")
        return {s["name"]: s["value"] for s in data.get("stats", []) if "value" in s}

    def clusters(self) -> dict:
        return self.get_json("/clusters?format=json")

    def server_info(self) -> dict:
        return self.get_json("/server_info")
