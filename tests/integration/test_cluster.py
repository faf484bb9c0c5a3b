"""A real three-serving-node cluster plus a repo node on loopback (127.0.0.31-.35).

Every node runs the same Envoy; requests sent to any node are spread over all serving nodes and
survive node failure, membership changes and draining. Entry points of the load (serving-1 and
the repo node) are never the node being killed or drained.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import grpc
import pytest

from appliance import cluster
from appliance.envoy_admin import EnvoyAdmin
from appliance.layout import Layout
from tests.load import MODEL, Load, _grpc_call, _rest_call, predict_request
from tests.nodes import http, wait_for

FIRST = ipaddress.IPv4Address("127.0.0.31")


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def kill_hard(node: cluster.LocalNode) -> None:
    """What a VM dying does: every process of the node gone at once, no goodbye."""
    for pid in descendants(node.pid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def upstreams(nodes, listener: str, since: float = 0.0) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in nodes:
        path = node.home / "logs" / "envoy.log"
        for line in path.read_text().splitlines() if path.exists() else ():
            entry = json.loads(line)
            when = datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
            if entry["listener"] == listener and entry["upstream"] and when >= since \
                    and MODEL in (entry["path"] or "") + "Predict":
                counts[entry["upstream"]] = counts.get(entry["upstream"], 0) + 1
    return counts


def envoy_view(node: cluster.LocalNode) -> dict[str, list[str]]:
    """address -> failed health flags, as this node's Envoy sees the serving_rest cluster."""
    admin = EnvoyAdmin(Layout.for_home(node.home).envoy_admin_socket)
    view = {}
    for status in admin.clusters()["cluster_statuses"]:
        if status["name"] == "serving_rest":
            for host in status.get("host_statuses", []):
                flags = [k for k, v in host.get("health_status", {}).items() if v is True]
                view[host["address"]["socket_address"]["address"]] = flags
    return view


def all_healthy(node: cluster.LocalNode, serving: set[str]) -> bool:
    view = envoy_view(node)
    return set(view) == serving and all(flags == [] for flags in view.values())


def pids_of(node: cluster.LocalNode) -> dict[str, int]:
    report = json.loads(cluster.appliance(node, "status", "--json").stdout)
    return {p["name"]: p["pid"] for p in report["processes"]}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory, builtin_store):
    base = tmp_path_factory.mktemp("cluster")
    for node in cluster.plan(base, 4, repo=True, first=FIRST):
        shutil.copytree(builtin_store, node.home / "models")
    running = cluster.up(base, 3, True, {"health.interval.seconds": "0.5"}, say=lambda _: None,
                         first=FIRST)
    serving = {n.address for n in running if n.role == "serving"}
    for node in running:
        wait_for(lambda n=node: all_healthy(n, serving), 180,
                 f"{node.name}'s Envoy to see every serving node healthy")
    for node in running:
        # Envoy's workers take up to a second to route to hosts its main thread just marked
        # healthy: warm up until this node's Envoy has used every serving node.
        wait_for(lambda n=node: _probe(n) == {f"{a}:8501" for a in serving}, 60,
                 f"{node.name}'s Envoy to route to every serving node", interval=0.3)
    yield base, running
    assert cluster.down(base, say=lambda _: None)


def _probe(node) -> set[str]:
    for _ in range(6):
        _rest_call(node.address, "warmup")
    return {e["upstream"] for e in _entries([node]) if e["request_id"] == "warmup"}


def _entries(nodes):
    for node in nodes:
        path = node.home / "logs" / "envoy.log"
        for line in path.read_text().splitlines() if path.exists() else ():
            yield json.loads(line)


def entry_points(running):
    return [running[0].address, running[-1].address]  # serving-1 and the repo node


def test_any_node_serves_and_every_serving_node_takes_a_share(nodes):
    base, running = nodes
    request = None
    for node in running:
        for _ in range(12):
            assert _rest_call(node.address, "spread") is None
        channel = grpc.insecure_channel(f"{node.address}:8081")
        request = request or predict_request()
        for _ in range(12):
            assert _grpc_call(channel, request, "spread") is None
        channel.close()
    serving = [n.address for n in running if n.role == "serving"]

    def shares(listener):
        return {e["upstream"] for e in _entries(running)
                if e["request_id"] == "spread" and e["listener"] == listener}

    wait_for(lambda: shares("rest") == {f"{a}:8501" for a in serving}, 10,
             "every serving node in the REST access logs")
    wait_for(lambda: shares("grpc") == {f"{a}:8500" for a in serving}, 10,
             "every serving node in the gRPC access logs")
    assert "model_server" not in pids_of(running[-1]), "a repo node runs no model server"
    shown = subprocess.run([sys.executable, "-m", "appliance.cli", "cluster", "status",
                            "--dir", str(base)], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    for node in running:
        assert f"{node.name:<10} {node.address:<12} {node.role:<10} running" in shown.stdout
    assert shown.stdout.count("healthy") >= len(running) * 6  # 3 nodes x 2 clusters each


def test_sigkill_of_a_serving_node_loses_no_request_and_it_rejoins(nodes):
    base, running = nodes
    victim, watcher = running[2], running[0]
    with Load(entry_points(running), threads=4) as load:
        load.wait_for_successes(40)
        kill_hard(victim)
        load.wait_for_successes(150)
        wait_for(lambda: envoy_view(watcher)[victim.address] != [], 20,
                 "the killed node to be marked unhealthy or ejected")
        assert load.failures == [], load.failures[:5]

        cluster.start(victim)
        wait_for(lambda: envoy_view(watcher).get(victim.address) == [], 120,
                 "the restarted node to be healthy again")
        back = time.time()
        wait_for(lambda: upstreams(running, "rest", since=back).get(f"{victim.address}:8501"),
                 30, "the restarted node to take REST traffic again")
        load.wait_for_successes(40)
    assert load.failures == [], load.failures[:5]


def test_adding_and_removing_a_node_under_load_loses_nothing_without_envoy_restart(nodes):
    base, running = nodes
    envoy_pids = {n.name: pids_of(n)["envoy"] for n in running}
    extra = {"health.interval.seconds": "0.5"}
    with Load(entry_points(running), threads=4) as load:
        load.wait_for_successes(40)
        grown = cluster.up(base, 4, True, extra, say=lambda _: None, first=FIRST)
        new = next(n for n in grown if n.name == "serving-4")
        available_at = wait_for(lambda: time.time() if _available(new) else None, 120,
                                "serving-4's model to be AVAILABLE")
        wait_for(lambda: upstreams(running, "rest").get(f"{new.address}:8501"), 60,
                 "serving-4 to take traffic")
        first_served = min(_times_served(running, new.address))
        # Envoy's health check saw the node only once its model was AVAILABLE (the poll that
        # noticed AVAILABLE may itself lag by up to its interval).
        assert first_served >= available_at - 1.0
        load.wait_for_successes(40)

        cluster.up(base, 3, True, extra, say=lambda _: None, first=FIRST)
        assert new.pid() is None
        load.wait_for_successes(60)
    assert load.failures == [], load.failures[:5]
    assert {n.name: pids_of(n)["envoy"] for n in running} == envoy_pids


def test_drain_under_load_loses_no_request(nodes):
    base, running = nodes
    drained = running[1]
    with Load(entry_points(running), threads=4) as load:
        load.wait_for_successes(40)
        result = cluster.appliance(drained, "drain")
        assert result.returncode == 0, result.stderr
        assert "model server drained" in result.stdout
        load.wait_for_successes(60)
    assert load.failures == [], load.failures[:5]
    assert drained.pid() is None or not _alive(drained)


def _alive(node) -> bool:
    try:
        http("GET", f"http://{node.address}:8501/health", timeout=1)
    except OSError:
        return False
    return True


def _available(node) -> bool:
    try:
        status, raw, _ = http("GET", f"http://{node.address}:8501/v1/models/{MODEL}", timeout=1)
    except OSError:
        return False
    return status == 200 and any(v["state"] == "AVAILABLE"
                                 for v in json.loads(raw)["model_version_status"])


def _times_served(running, address) -> list[float]:
    times = []
    for node in running:
        for line in (node.home / "logs" / "envoy.log").read_text().splitlines():
            entry = json.loads(line)
            if entry["upstream"] == f"{address}:8501":
                times.append(datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp())
    return times
