"""Predict throughput and latency on half_plus_two: direct to the model server and through Envoy,
REST and gRPC, at concurrency 1, 8 and 32; optionally KServe's Python server on the same model
in the same run, and clusters of 1, 2 and 3 serving nodes with CPU seconds per 1,000 requests.

    python benchmarks/serving_bench.py [--runs 3] [--seconds 5] [--kserve PYTHON] [--cluster]

Every figure is the median of --runs runs. Nodes are real (`appliance up`) on 127.0.0.7x.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from appliance import cluster  # noqa: E402
from appliance.builtin import ensure_builtin_models  # noqa: E402
from benchmarks.loadgen import MODEL, Result, grpc_predict_frame, h2load, median_of, wrk  # noqa: E402
from tests.nodes import http, start_node, wait_for  # noqa: E402

CONCURRENCY = (1, 8, 32)


def measure(kind: str, target: str, concurrency: int, args, frame: bytes) -> Result:
    runs = []
    for _ in range(args.runs):
        if kind == "rest":
            runs.append(wrk(f"http://{target}/v1/models/{MODEL}:predict", concurrency, args.seconds))
        else:
            runs.append(h2load(target, concurrency, args.seconds, frame))
    return median_of(runs)


def row(name: str, c: int, r: Result) -> str:
    return f"| {name} | {c} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} |"


def single_node(store: Path, args, frame: bytes) -> dict:
    address = "127.0.0.70"
    with tempfile.TemporaryDirectory() as home:
        node = start_node(Path(home), address, models={MODEL: store / MODEL})
        try:
            results = {}
            for kind, direct, via in (("rest", 8501, 8080), ("grpc", 8500, 8081)):
                for c in CONCURRENCY:
                    for path, port in (("direct", direct), ("envoy", via)):
                        results[(kind, path, c)] = measure(kind, f"{address}:{port}", c, args, frame)
        finally:
            node.stop()
    print("\n## One node: direct to the model server vs through Envoy\n")
    print("| protocol, path | concurrency | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|")
    for (kind, path, c), r in results.items():
        print(row(f"{kind} {path}", c, r))
    print("\n| ratio | concurrency 1 | concurrency 8 | concurrency 32 |\n|---|---|---|---|")
    for kind in ("rest", "grpc"):
        cells = [f"{results[(kind, 'envoy', c)].rps / results[(kind, 'direct', c)].rps:.2f}"
                 for c in CONCURRENCY]
        print(f"| {kind}: Envoy / direct throughput | " + " | ".join(cells) + " |")
        cells = [f"{results[(kind, 'envoy', c)].p50_ms - results[(kind, 'direct', c)].p50_ms:+.2f} ms"
                 for c in CONCURRENCY]
        print(f"| {kind}: p50 added by Envoy | " + " | ".join(cells) + " |")
    cells = [f"{results[('grpc', 'envoy', c)].rps / results[('rest', 'envoy', c)].rps:.2f}"
             for c in CONCURRENCY]
    print("| gRPC / REST throughput through Envoy | " + " | ".join(cells) + " |")
    return results


def kserve(python: str, store: Path, args, ours: Result, ours_envoy: Result) -> None:
    address, port = "127.0.0.72", 8088
    log = open(Path(tempfile.gettempdir()) / "kserve-bench.log", "wb")
    server = subprocess.Popen([python, str(ROOT / "benchmarks" / "kserve_half_plus_two.py"),
                               "--model-dir", str(store / MODEL / "00000123"),
                               "--address", address, "--http-port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        url = f"http://{address}:{port}/v1/models/half_plus_two:predict"
        wait_for(lambda: http("POST", url, '{"instances": [1.0]}', timeout=2)[0] == 200, 120,
                 "KServe to serve")
        theirs = median_of([wrk(url, 8, args.seconds) for _ in range(args.runs)])
    finally:
        server.terminate()
        server.wait(30)
    print("\n## REST at concurrency 8: this server vs KServe (V1 protocol, same runtime)\n")
    print("| server | req/s | p50 ms | p99 ms |\n|---|---|---|---|")
    print(f"| this model server, direct | {ours.rps:,.0f} | {ours.p50_ms:.2f} | {ours.p99_ms:.2f} |")
    print(f"| this model server, through Envoy | {ours_envoy.rps:,.0f} | {ours_envoy.p50_ms:.2f} | "
          f"{ours_envoy.p99_ms:.2f} |")
    print(f"| KServe {_kserve_version(python)} | {theirs.rps:,.0f} | {theirs.p50_ms:.2f} | "
          f"{theirs.p99_ms:.2f} |")
    print(f"\nratio to KServe: direct {ours.rps / theirs.rps:.2f}x, "
          f"through Envoy {ours_envoy.rps / theirs.rps:.2f}x")


def _kserve_version(python: str) -> str:
    return subprocess.run([python, "-c", "import kserve, importlib.metadata as m;"
                           "print(m.version('kserve'))"], capture_output=True, text=True).stdout.strip()


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def process_pids(node: cluster.LocalNode) -> dict[str, list[int]]:
    """Model server and Envoy (the binary, a child of its drain wrapper) of a node."""
    import json

    report = json.loads(cluster.appliance(node, "status", "--json").stdout)
    pids = {p["name"]: p["pid"] for p in report["processes"]}
    envoy_children = [int(p) for p in Path(f"/proc/{pids['envoy']}/task/{pids['envoy']}/children")
                      .read_text().split()]
    return {"model_server": [pids["model_server"]], "envoy": [pids["envoy"], *envoy_children]}


def clusters(store: Path, args) -> None:
    print("\n## Clusters on this machine: REST through serving-1's Envoy, concurrency 8\n")
    print("| serving nodes | req/s | p50 ms | p99 ms | CPU s / 1,000 req: Envoy (entry node) "
          "| CPU s / 1,000 req: each model server |\n|---|---|---|---|---|---|")
    first = ipaddress.IPv4Address("127.0.0.74")
    for size in (1, 2, 3):
        base = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
        for node in cluster.plan(base, size, repo=False, first=first):
            shutil.copytree(store, node.home / "models")
        nodes = cluster.up(base, size, False, {}, say=lambda _: None, first=first)
        try:
            for node in nodes:
                wait_for(lambda n=node: http("GET", f"http://{n.address}:8080/health")[0] == 200
                         and _spread(n, len(nodes)), 180, f"{node.name} to serve")
            url = f"http://{nodes[0].address}:8080/v1/models/{MODEL}:predict"
            runs, envoy_cpu, server_cpu = [], [], []
            for _ in range(args.runs):
                pids = {n.name: process_pids(n) for n in nodes}
                before = {n: {k: cpu_seconds(v) for k, v in p.items()} for n, p in pids.items()}
                result = wrk(url, 8, args.seconds)
                after = {n: {k: cpu_seconds(v) for k, v in p.items()} for n, p in pids.items()}
                requests = result.rps * args.seconds / 1000
                runs.append(result)
                envoy_cpu.append((after[nodes[0].name]["envoy"] - before[nodes[0].name]["envoy"])
                                 / requests)
                server_cpu.append([(after[n]["model_server"] - before[n]["model_server"]) / requests
                                   for n in after])
            r = median_of(runs)
            per_server = sorted(server_cpu, key=sum)[len(server_cpu) // 2]
            print(f"| {size} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
                  f"{sorted(envoy_cpu)[len(envoy_cpu) // 2]:.3f} | "
                  + ", ".join(f"{c:.3f}" for c in per_server) + " |")
        finally:
            cluster.down(base, say=lambda _: None)
            shutil.rmtree(base, ignore_errors=True)


def _spread(node, size) -> bool:
    for _ in range(3 * size):
        http("POST", f"http://{node.address}:8080/v1/models/{MODEL}:predict", '{"instances": [1.0]}')
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--kserve", metavar="PYTHON", help="a Python with kserve installed")
    parser.add_argument("--cluster", action="store_true", help="also 1, 2, 3 serving nodes")
    parser.add_argument("--skip-single", action="store_true",
                        help="only the cluster part (no KServe comparison then)")
    args = parser.parse_args()
    for tool in ("wrk", "h2load"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install wrk nghttp2-client")
    store = Path(tempfile.mkdtemp(prefix="bench-models-"))
    ensure_builtin_models(store, log=lambda _: None)
    frame = grpc_predict_frame()
    print(f"# serving_bench: {args.runs} runs of {args.seconds:g}s each, medians; "
          f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M')}")
    results = {} if args.skip_single else single_node(store, args, frame)
    if args.kserve and results:
        kserve(args.kserve, store, args, results[("rest", "direct", 8)],
               results[("rest", "envoy", 8)])
    if args.cluster:
        clusters(store, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
