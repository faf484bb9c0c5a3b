"""Fetch JSON from the node's own services (model server REST, Envoy's admin view).

One place for timeouts and errors: the pages call `fetch_json` through `app.config["FETCH_JSON"]`
so tests can substitute answers, and every failure becomes an `Unreachable` the page can show.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT = 2.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


class Unreachable(Exception):
    """The service did not answer with JSON; the message says why, for the page."""


class HTTPStatus(Unreachable):
    """The service answered with an error status; `body` is its JSON (or None)."""

    def __init__(self, url: str, status: int, body: Any):
        super().__init__(f"{url} answered HTTP {status}")
        self.status = status
        self.body = body


def fetch_json(url: str, timeout: float = TIMEOUT) -> Any:
    """GET url and parse the body; raise Unreachable (or HTTPStatus) on any failure."""
    try:
        with _OPENER.open(url, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
        except ValueError:
            body = None
        raise HTTPStatus(url, exc.code, body) from exc
    except urllib.error.URLError as exc:
        raise Unreachable(f"{url}: {exc.reason}") from exc
    except (OSError, ValueError) as exc:
        raise Unreachable(f"{url}: {exc}") from exc
