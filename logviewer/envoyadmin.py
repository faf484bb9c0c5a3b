"""Backends as this node's Envoy sees them, from its read-only admin view (node.address:8001).

`/clusters?format=json` gives each host's health flags and counters; `/stats?format=json` gives
per-cluster totals. Only the serving clusters are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.schema import ENVOY_ADMIN_VIEW_PORT

CLUSTERS = ("serving_rest", "serving_grpc")
_STATS = ("upstream_rq_total", "upstream_rq_2xx", "upstream_rq_4xx", "upstream_rq_5xx",
          "upstream_rq_retry", "upstream_rq_timeout", "upstream_cx_connect_fail",
          "membership_healthy", "membership_total", "outlier_detection.ejections_active",
          "health_check.failure")


def base_url(settings) -> str:
    return f"http://{settings['node.address']}:{ENVOY_ADMIN_VIEW_PORT}"


@dataclass(frozen=True)
class Host:
    address: str
    state: str  # healthy, ejected, failing health check, unhealthy, degraded, ...
    healthy: bool
    requests: int
    errors: int
    success: int
    active: int
    flags: list[str]

    @property
    def error_rate(self) -> float | None:
        done = self.errors + self.success
        return self.errors / done if done else None


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _host(status: dict) -> Host:
    sock = (status.get("address") or {}).get("socket_address") or {}
    address = f"{sock.get('address', '?')}:{sock.get('port_value', '?')}"
    stats = {s.get("name"): _int(s.get("value")) for s in status.get("stats", [])}
    health = status.get("health_status") or {}
    flags = [name for name in ("failed_active_health_check", "failed_outlier_check",
                               "failed_active_degraded_check", "pending_dynamic_removal",
                               "pending_active_hc", "excluded_via_immediate_hc_fail")
             if health.get(name)]
    eds = health.get("eds_health_status", "HEALTHY")
    if health.get("failed_outlier_check"):
        state = "ejected"
    elif health.get("failed_active_health_check"):
        state = "failing health check"
    elif health.get("pending_active_hc"):
        state = "not yet checked"
    elif eds not in ("HEALTHY", "UNKNOWN"):
        state = eds.lower()
    else:
        state = "healthy"
    return Host(address, state, state == "healthy", stats.get("rq_total", 0),
                stats.get("rq_error", 0), stats.get("rq_success", 0), stats.get("rq_active", 0),
                flags)


@dataclass(frozen=True)
class Cluster:
    name: str
    hosts: list[Host]
    stats: dict[str, int]


def clusters(fetch, base: str) -> list[Cluster]:
    """The serving clusters with their hosts and totals; raises Unreachable if Envoy is not up."""
    body = fetch(f"{base}/clusters?format=json")
    stats = _cluster_stats(fetch(f"{base}/stats?format=json"))
    out = []
    for status in body.get("cluster_statuses", []):
        name = status.get("name")
        if name in CLUSTERS:
            hosts = [_host(h) for h in status.get("host_statuses", [])]
            out.append(Cluster(name, sorted(hosts, key=lambda h: h.address), stats.get(name, {})))
    return sorted(out, key=lambda c: CLUSTERS.index(c.name))


def _cluster_stats(body) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {name: {} for name in CLUSTERS}
    for item in (body or {}).get("stats", []):
        name = item.get("name", "")
        for cluster in CLUSTERS:
            prefix = f"cluster.{cluster}."
            if name.startswith(prefix) and name[len(prefix):] in _STATS:
                out[cluster][name[len(prefix):]] = _int(item.get("value"))
    return out
